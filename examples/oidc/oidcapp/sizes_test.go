package oidcapp_test

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/oidc/provider"
)

var (
	sizeRe    = regexp.MustCompile(`<span id="size">(\d+)</span>`)
	largestRe = regexp.MustCompile(`<span id="largest">([^<]*)</span>`)
)

// chunkedBudget is the total size a session may take once cookies can be
// chunked (Config.MaxSize's coming default, about 6 KB), so that the
// Cookie header stays within nginx's default 8 KB line.
const chunkedBudget = 6000

// TestSessionSizes measures the tokens the provider issues and the session
// that keeps them, for Alice (2 groups) and Bob (160 groups). Alice's
// session fits in one cookie; Bob's does not, and he is shown why and is
// not signed in at all.
func TestSessionSizes(t *testing.T) {
	t.Parallel()
	e := start(t, slow)

	alice := e.visitor()
	_, home := alice.signIn(provider.Alice)
	if who(home) != "Alice Example" {
		t.Fatalf("Alice: got %d %q", home.status, errorTitle(home))
	}
	at := e.tokens.last(t)
	c := alice.cookie()
	size := len(c.Name) + len(c.Value)
	if m := sizeRe.FindStringSubmatch(home.body); m == nil || m[1] != strconv.Itoa(size) {
		t.Errorf("Alice: the page shows a session of %v bytes, the jar holds %d", m, size)
	}
	withIDToken := size + (4*(3+len("id_token")+len(at.IDToken)+2)+2)/3
	t.Logf("Alice: ID token %d bytes, access token %d, refresh token %d; session cookie %d bytes (%d with the raw ID token kept, by the size arithmetic)",
		len(at.IDToken), len(at.AccessToken), len(at.RefreshToken), size, withIDToken)
	if size > cookiesession.MaxCookieSize {
		t.Errorf("Alice's session is %d bytes, over one cookie", size)
	}

	bob := e.visitor()
	_, p := bob.signIn(provider.Bob)
	bt := e.tokens.last(t)
	m := sizeRe.FindStringSubmatch(p.body)
	if p.status != http.StatusRequestEntityTooLarge || errorTitle(p) != "Session too large" || m == nil {
		t.Fatalf("Bob: got %d %q, want 413 Session too large with the size", p.status, errorTitle(p))
	}
	bobSize, _ := strconv.Atoi(m[1])
	largest := largestRe.FindStringSubmatch(p.body)
	t.Logf("Bob: ID token %d bytes, access token %d, refresh token %d; session cookie would be %d bytes: %d cookies of at most %d; largest: %s",
		len(bt.IDToken), len(bt.AccessToken), len(bt.RefreshToken), bobSize,
		(bobSize+cookiesession.MaxCookieSize-1)/cookiesession.MaxCookieSize, cookiesession.MaxCookieSize, largest[1])
	if bobSize <= cookiesession.MaxCookieSize || bobSize > chunkedBudget {
		t.Errorf("Bob's session would be %d bytes; want more than one cookie holds (%d) and at most the chunked budget (%d)",
			bobSize, cookiesession.MaxCookieSize, chunkedBudget)
	}
	if largest == nil || !regexp.MustCompile(`^groups \(\d+ bytes\)`).MatchString(largest[1]) {
		t.Errorf("largest parts: got %q, want groups first", largest)
	}
	if bob.cookie() != nil {
		t.Errorf("Bob holds a session cookie after a sign-in that did not fit; want none")
	}
	if err := refreshAtProvider(t, e, bt.RefreshToken); !refusedGrant(err) {
		t.Errorf("Bob's dropped refresh token at the provider: got %v, want invalid_grant (revoked)", err)
	}
}
