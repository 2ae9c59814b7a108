package provider

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func startTest(t *testing.T) *Provider {
	t.Helper()
	p, err := Start(Config{
		ClientID:              "test-client",
		ClientSecret:          "test-secret-do-not-use",
		RedirectURI:           "http://127.0.0.1:1/callback",
		PostLogoutRedirectURI: "http://127.0.0.1:1/signed-out",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestStartNeedsClient(t *testing.T) {
	if _, err := Start(Config{ClientID: "x"}); err == nil {
		t.Errorf("Start without a secret and redirect URIs: got nil, want an error")
	}
}

func TestBobsGroups(t *testing.T) {
	if n := len(Bob.Groups); n < 150 || n > 200 {
		t.Errorf("Bob is in %d groups, want 150 to 200", n)
	}
	seen := map[string]bool{}
	for _, g := range Bob.Groups {
		if seen[g] {
			t.Errorf("group %q twice", g)
		}
		seen[g] = true
	}
}

// TestAdminPage disables, enables and revokes through the admin page's
// forms, and checks that another site cannot post them.
func TestAdminPage(t *testing.T) {
	t.Parallel()
	p := startTest(t)
	admin := p.Issuer + "admin"
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(action, user string, crossSite bool) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, admin+"/"+action, strings.NewReader(url.Values{"user": {user}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if crossSite {
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	resp, err := http.Get(admin)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`id="user-alice"`, `id="user-bob"`, `id="revoke-alice"`, `id="toggle-bob"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("admin page lacks %s", want)
		}
	}
	for _, tc := range []struct {
		action, user string
		crossSite    bool
		status       int
		disabled     bool
	}{
		{"disable", "alice", true, http.StatusForbidden, false},
		{"disable", "alice", false, http.StatusSeeOther, true},
		{"enable", "alice", false, http.StatusSeeOther, false},
		{"revoke", "alice", false, http.StatusSeeOther, false},
		{"revoke", "nobody", false, http.StatusBadRequest, false},
	} {
		if got := post(tc.action, tc.user, tc.crossSite); got != tc.status || p.Disabled("alice") != tc.disabled {
			t.Errorf("%s %s (cross-site %v): got %d, disabled %v; want %d, disabled %v",
				tc.action, tc.user, tc.crossSite, got, p.Disabled("alice"), tc.status, tc.disabled)
		}
	}
}
