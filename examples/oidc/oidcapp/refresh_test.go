package oidcapp_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/cookiesession/cookiesession/examples/oidc/oidcapp"
	"github.com/cookiesession/cookiesession/examples/oidc/provider"
)

// fast has access tokens of 2 seconds (expires_in 1: the provider rounds
// down), sessions checked every second, and an outage grace of 2 seconds.
var fast = timings{accessTTL: 2 * time.Second, every: time.Second, grace: 2 * time.Second}

// poll loads the home page every 100 ms until done says so or the time is
// up, and returns the last page and when it came.
func (a *visitor) poll(within time.Duration, done func(page) bool) (page, time.Time) {
	a.t.Helper()
	deadline := time.Now().Add(within)
	for {
		p := a.get(a.e.base + "/")
		now := time.Now()
		if done(p) {
			return p, now
		}
		if now.After(deadline) {
			a.t.Fatalf("not done after %v: last page %d %q, greeting %q", within, p.status, errorTitle(p), who(p))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func refreshes(p page) int {
	if m := refreshesRe.FindStringSubmatch(p.body); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return -1
}

func TestRefreshAfterExpiry(t *testing.T) {
	t.Parallel()
	e := start(t, fast)
	a := e.visitor()
	if _, home := a.signIn(provider.Alice); refreshes(home) != 0 {
		t.Fatalf("after sign-in: got %d refreshes (page %d %q), want 0", refreshes(home), home.status, errorTitle(home))
	}
	access0, refresh0, expiry0 := a.sessionTokens()

	home, _ := a.poll(5*time.Second, func(p page) bool { return refreshes(p) != 0 })
	if refreshes(home) != 1 || who(home) != "Alice Example" {
		t.Fatalf("got %d refreshes greeting %q, want 1 refresh, Alice still signed in", refreshes(home), who(home))
	}
	access1, refresh1, expiry1 := a.sessionTokens()
	if access1 == access0 || refresh1 == refresh0 || !expiry1.After(expiry0) {
		t.Errorf("after the refresh: new access token %v, new refresh token %v, expiry %v after %v; want all new",
			access1 != access0, refresh1 != refresh0, expiry1, expiry0)
	}
	if last := e.tokens.last(t); last.AccessToken != access1 || last.RefreshToken != refresh1 {
		t.Errorf("the session's tokens are not the refresh's answer")
	}
	if info := userinfo(t, e, access1); info.Sub != provider.Alice.Subject {
		t.Errorf("userinfo with the new access token: got %d %q, want Alice", info.Status, info.Sub)
	}
	if info := userinfo(t, e, access0); info.Status == http.StatusOK {
		t.Errorf("userinfo with the old access token: got 200, want a refusal")
	}
	if err := refreshAtProvider(t, e, refresh0); !refusedGrant(err) {
		t.Errorf("the old refresh token at the provider: got %v, want invalid_grant (rotated)", err)
	}
}

// TestNoRefreshWhileValid checks that a check finding an access token that
// outlives the next check asks the provider nothing, and records itself.
func TestNoRefreshWhileValid(t *testing.T) {
	t.Parallel()
	e := start(t, timings{accessTTL: 30 * time.Second, every: time.Second, grace: time.Minute})
	a := e.visitor()
	a.signIn(provider.Alice)
	n := e.tokens.count()
	time.Sleep(2100 * time.Millisecond) // a check is due
	if home := a.get(e.base + "/"); refreshes(home) != 0 || who(home) != "Alice Example" {
		t.Fatalf("got %d refreshes greeting %q, want none, Alice signed in", refreshes(home), who(home))
	}
	if a.session().RevalidatedAt.IsZero() {
		t.Errorf("no check recorded in the cookie")
	}
	if e.tokens.count() != n {
		t.Errorf("the check called the token endpoint %d times, want none", e.tokens.count()-n)
	}
}

// TestRefreshRefused revokes the user's grant, or disables the user, at
// the provider: the next check's refresh is refused and the session ends,
// within RevalidateEvery.
func TestRefreshRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		action func(p *provider.Provider) error
	}{
		{"grant revoked", func(p *provider.Provider) error { return p.RevokeGrants(provider.Alice.Username) }},
		{"user disabled", func(p *provider.Provider) error { return p.SetDisabled(provider.Alice.Username, true) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, fast)
			a := e.visitor()
			a.signIn(provider.Alice)
			if err := tc.action(e.provider); err != nil {
				t.Fatal(err)
			}
			at := time.Now()
			home, out := a.poll(fast.every+3*time.Second, func(p page) bool { return who(p) == "" })
			delay := out.Sub(at)
			t.Logf("signed out %v after the provider refused", delay.Round(time.Millisecond))
			if home.status != http.StatusOK || a.cookie() != nil {
				t.Errorf("signed out: got %d, cookie %v; want 200 and the cookie deleted", home.status, a.cookie())
			}
			if delay > fast.every+time.Second {
				t.Errorf("signed out after %v, want within RevalidateEvery (%v) and a second of slack", delay, fast.every)
			}
			if e.provider.Disabled(provider.Alice.Username) {
				p := a.submitLogin(a.startLogin(""), provider.Alice)
				if p.status != http.StatusOK || !strings.Contains(p.body, "user disabled") {
					t.Errorf("signing in again: got %d at %s, want the login form saying the user is disabled", p.status, p.url)
				}
			}
		})
	}
}

// clock is a Config.Time that a test sets; until then, the real time.
type clock struct{ at atomic.Pointer[time.Time] }

func (c *clock) now() time.Time {
	if at := c.at.Load(); at != nil {
		return *at
	}
	return time.Now()
}

func (c *clock) set(at time.Time) { c.at.Store(&at) }

// TestProviderDown stops the provider after a refresh, and reloads the
// page at times the application's clock is set to: the session stays
// signed in (the check returns ErrRevalidateLater) past its access
// token's expiry while its last check that passed, Session.RevalidatedAt,
// is at most OutageGrace old, and the check after that ends it.
func TestProviderDown(t *testing.T) {
	t.Parallel()
	tm := timings{accessTTL: 2 * time.Second, every: time.Second, grace: 3 * time.Second}
	c := &clock{}
	e := start(t, tm, func(cfg *oidcapp.Config) { cfg.Time = c.now })
	a := e.visitor()
	a.signIn(provider.Alice)
	a.poll(5*time.Second, func(p page) bool { return refreshes(p) == 1 }) // a check passed, with a refresh
	passed := a.session().RevalidatedAt
	_, _, expiry := a.sessionTokens()
	if passed.IsZero() {
		t.Fatal("no check recorded after the refresh")
	}
	if err := e.provider.Close(); err != nil {
		t.Fatal(err)
	}
	bound := passed.Add(tm.grace)
	due := passed.Add(tm.every) // a check is due
	for _, step := range []struct {
		name     string
		at       time.Time
		signedIn bool
	}{
		{"the access token expired", expiry, true},
		{"OutageGrace after the last check that passed", bound, true},
		{"a millisecond later", bound.Add(time.Millisecond), false},
	} {
		time.Sleep(time.Until(due))
		c.set(step.at)
		p := a.get(e.base + "/")
		// The next request must not share this check's verdict.
		due = time.Now().Add(tm.every + 100*time.Millisecond)
		if signedIn := who(p) == "Alice Example"; signedIn != step.signedIn || p.status != http.StatusOK {
			t.Fatalf("%s (the check passed at %v, the bound is %v): got %d, signed in %v; want signed in %v",
				step.name, passed.Format(time.TimeOnly), bound.Format(time.TimeOnly), p.status, signedIn, step.signedIn)
		}
		if step.signedIn && !a.session().RevalidatedAt.Equal(passed) {
			t.Errorf("%s: a check was recorded while the provider is down", step.name)
		}
		if !step.signedIn && len(a.cookies()) != 0 {
			t.Errorf("%s: the session's cookies are still in the jar", step.name)
		}
	}
}

// TestLogout signs out: the refresh token is revoked, the browser goes
// through the provider's end-session endpoint and back, and the cookie is
// gone.
func TestLogout(t *testing.T) {
	t.Parallel()
	e := start(t, slow)
	a := e.visitor()
	a.signIn(provider.Alice)
	access, refresh, _ := a.sessionTokens()

	p := a.post(e.base+"/logout", nil)
	if p.status != http.StatusOK || p.url.String() != e.base+"/signed-out" {
		t.Fatalf("after logout: got %d at %s, want 200 at /signed-out", p.status, p.url)
	}
	endSession := e.discovery()["end_session_endpoint"].(string)
	if len(a.via) == 0 || !strings.HasPrefix(a.via[0], endSession+"?") {
		t.Fatalf("redirects: got %q, want the end-session endpoint %s first", a.via, endSession)
	}
	q := mustURL(t, a.via[0]).Query()
	if q.Get("client_id") != clientID || q.Get("post_logout_redirect_uri") != e.base+"/signed-out" {
		t.Errorf("end-session request: got %v, want client_id and post_logout_redirect_uri", q)
	}
	if c := a.cookie(); c != nil {
		t.Errorf("the session cookie is still in the jar")
	}
	if err := refreshAtProvider(t, e, refresh); !refusedGrant(err) {
		t.Errorf("the refresh token after logout: got %v, want invalid_grant", err)
	}
	if info := userinfo(t, e, access); info.Status == http.StatusOK {
		t.Errorf("the access token after logout: userinfo answered 200, want a refusal")
	}
	if home := a.get(e.base + "/"); who(home) != "" {
		t.Errorf("home after logout greets %q", who(home))
	}
}

// TestLogoutCrossOrigin checks that another site cannot sign the user out.
func TestLogoutCrossOrigin(t *testing.T) {
	t.Parallel()
	e := start(t, slow)
	a := e.visitor()
	a.signIn(provider.Alice)
	req, err := http.NewRequest(http.MethodPost, e.base+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := a.do(req); p.status != http.StatusForbidden || !a.cookieSignedIn() {
		t.Errorf("cross-site logout: got %d, signed in %v; want 403 and still signed in", p.status, a.cookieSignedIn())
	}
}

// refreshAtProvider uses refresh at the provider's token endpoint, as the
// application would.
func refreshAtProvider(t *testing.T, e *env, refresh string) error {
	t.Helper()
	conf := oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: e.discovery()["token_endpoint"].(string)},
	}
	_, err := conf.TokenSource(context.Background(), &oauth2.Token{RefreshToken: refresh}).Token()
	return err
}

func refusedGrant(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// TestRefreshShared sends requests with the same cookie as a check falls
// due, two side by side and one after: the provider, which refuses a
// rotated refresh token, sees one refresh, and every request stays signed
// in with its tokens.
func TestRefreshShared(t *testing.T) {
	t.Parallel()
	e := start(t, fast)
	a := e.visitor()
	a.signIn(provider.Alice)
	_, _, expiry := a.sessionTokens()
	old := a.cookie()
	n := e.tokens.count()
	time.Sleep(time.Until(expiry.Add(50 * time.Millisecond))) // a check is due, and a refresh

	get := func() string {
		req, err := http.NewRequest(http.MethodGet, e.base+"/", nil)
		if err != nil {
			t.Error(err)
			return ""
		}
		req.AddCookie(old)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return ""
		}
		return who(page{body: readAll(t, resp)})
	}
	got := make(chan string, 2)
	for range 2 {
		go func() { got <- get() }()
	}
	for range 2 {
		if w := <-got; w != "Alice Example" {
			t.Errorf("side by side: got %q, want Alice signed in", w)
		}
	}
	if w := get(); w != "Alice Example" {
		t.Errorf("with the old cookie after the refresh: got %q, want Alice signed in", w)
	}
	if refreshed := e.tokens.count() - n; refreshed != 1 {
		t.Errorf("the provider saw %d refreshes, want 1", refreshed)
	}
}

// TestAccessTokenLifetime checks the provider's shortened access tokens:
// refused at the userinfo endpoint once their lifetime has passed.
func TestAccessTokenLifetime(t *testing.T) {
	t.Parallel()
	e := start(t, fast)
	a := e.visitor()
	a.signIn(provider.Alice)
	access, _, _ := a.sessionTokens()
	if info := userinfo(t, e, access); info.Status != http.StatusOK {
		t.Fatalf("userinfo at once: got %d, want 200", info.Status)
	}
	time.Sleep(fast.accessTTL + 100*time.Millisecond)
	if info := userinfo(t, e, access); info.Status == http.StatusOK {
		t.Errorf("userinfo after %v: got 200, want a refusal", fast.accessTTL)
	}
}
