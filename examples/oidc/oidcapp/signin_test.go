package oidcapp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/oidc/oidcapp"

	"github.com/cookiesession/cookiesession/examples/oidc/provider"
)

// TestSignIn signs Alice in through the provider's login form and checks
// each step: the authorization request, the pending sign-in in the
// session, and what the session holds afterwards.
func TestSignIn(t *testing.T) {
	t.Parallel()
	e := start(t, slow)
	a := e.visitor()

	login := a.startLogin("")
	auth, err := url.Parse(a.via[0])
	if err != nil {
		t.Fatal(err)
	}
	q := auth.Query()
	var p struct{ State, Nonce, Verifier string }
	if err := json.Unmarshal(a.session().Values["login"], &p); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ param, got, want string }{
		{"response_type", q.Get("response_type"), "code"},
		{"client_id", q.Get("client_id"), clientID},
		{"redirect_uri", q.Get("redirect_uri"), e.base + "/callback"},
		{"scope", q.Get("scope"), "openid profile email offline_access"},
		{"code_challenge_method", q.Get("code_challenge_method"), "S256"},
		{"code_challenge", q.Get("code_challenge"), s256(p.Verifier)},
		{"state", q.Get("state"), p.State},
		{"nonce", q.Get("nonce"), p.Nonce},
		{"response_mode", q.Get("response_mode"), ""},
	} {
		if c.got != c.want {
			t.Errorf("authorization request %s: got %q, want %q", c.param, c.got, c.want)
		}
	}
	if p.State == "" || p.Nonce == "" || len(p.Verifier) < 43 {
		t.Errorf("pending sign-in %+v: want a state, a nonce and a verifier of at least 43 characters", p)
	}
	before := a.cookie().Value

	cb := a.callbackURL(a.submitLogin(login, provider.Alice))
	home := a.get(cb)
	if home.status != http.StatusOK || home.url.Path != "/" || who(home) != "Alice Example" {
		t.Fatalf("after the callback: got %d at %s greeting %q, want 200 at / greeting Alice Example", home.status, home.url, who(home))
	}
	c := a.cookie()
	if c.Value == before {
		t.Errorf("the session cookie did not change at sign-in")
	}
	values := a.session().Values
	if _, ok := values["login"]; ok {
		t.Errorf("the pending sign-in is still in the session after the callback")
	}
	var u struct{ Sub, Name, Email string }
	if err := json.Unmarshal(values["user"], &u); err != nil {
		t.Fatal(err)
	}
	if u.Sub != provider.Alice.Subject || u.Email != provider.Alice.Email {
		t.Errorf("user: got %+v, want subject %s and email %s", u, provider.Alice.Subject, provider.Alice.Email)
	}
	var groups []string
	if err := json.Unmarshal(values["groups"], &groups); err != nil || strings.Join(groups, ",") != strings.Join(provider.Alice.Groups, ",") {
		t.Errorf("groups: got %q (%v), want %q", groups, err, provider.Alice.Groups)
	}
	access, refresh, _ := a.sessionTokens()
	last := e.tokens.last(t)
	if access != last.AccessToken || refresh != last.RefreshToken || access == "" || refresh == "" {
		t.Errorf("the session's tokens are not those the provider issued")
	}
	for key, raw := range values {
		if strings.Contains(string(raw), last.IDToken) {
			t.Errorf("the raw ID token is kept under %q", key)
		}
	}
	if info := userinfo(t, e, access); info.Sub != provider.Alice.Subject {
		t.Errorf("userinfo with the session's access token: got subject %q, want %q", info.Sub, provider.Alice.Subject)
	}
}

// TestCallbackChecks sends callbacks that must not sign anyone in: a
// forged state, an ID token with another nonce, and callbacks replayed.
func TestCallbackChecks(t *testing.T) {
	t.Parallel()
	e := start(t, slow)

	t.Run("state mismatch", func(t *testing.T) {
		a := e.visitor()
		cb := a.callbackURL(a.submitLogin(a.startLogin(""), provider.Alice))
		forged := withParam(t, cb, "state", "forged")
		p := a.get(forged)
		if p.status != http.StatusBadRequest || errorTitle(p) != "State mismatch" || a.cookieSignedIn() {
			t.Fatalf("forged state: got %d %q, signed in %v; want 400 State mismatch, not signed in", p.status, errorTitle(p), a.cookieSignedIn())
		}
		// The sign-in in progress is untouched: the real callback works.
		if home := a.get(cb); who(home) != "Alice Example" {
			t.Errorf("the real callback after a forged one: got %d %q, want Alice signed in", home.status, errorTitle(home))
		}
	})

	t.Run("nonce mismatch", func(t *testing.T) {
		a := e.visitor()
		// The browser is sent to the provider with another nonce than
		// the one its session keeps, as if an attacker had swapped it.
		start := a.post(e.base+"/login", nil)
		auth := withParam(t, a.via[0], "nonce", "another-nonce")
		login := a.get(auth)
		if start.status != http.StatusOK || login.status != http.StatusOK {
			t.Fatalf("sign-in: got %d and %d, want the provider's login form", start.status, login.status)
		}
		p := a.get(a.callbackURL(a.submitLogin(login, provider.Alice)))
		if p.status != http.StatusBadRequest || errorTitle(p) != "Nonce mismatch" || a.cookieSignedIn() {
			t.Fatalf("swapped nonce: got %d %q, signed in %v; want 400 Nonce mismatch, not signed in", p.status, errorTitle(p), a.cookieSignedIn())
		}
	})

	t.Run("replayed callback", func(t *testing.T) {
		a := e.visitor()
		cb, home := a.signIn(provider.Alice)
		if who(home) != "Alice Example" {
			t.Fatalf("sign-in: got %d %q", home.status, errorTitle(home))
		}
		id := a.session().Values
		p := a.get(cb)
		if p.status != http.StatusBadRequest || errorTitle(p) != "No sign-in in progress" {
			t.Errorf("callback replayed in the same browser: got %d %q, want 400 No sign-in in progress", p.status, errorTitle(p))
		}
		if got := a.session().Values; string(got["tokens"]) != string(id["tokens"]) {
			t.Errorf("the replay changed the signed-in session")
		}
		// A new sign-in in progress: the old callback's state does not match it.
		a.startLogin("")
		if p := a.get(cb); p.status != http.StatusBadRequest || errorTitle(p) != "State mismatch" {
			t.Errorf("old callback during a new sign-in: got %d %q, want 400 State mismatch", p.status, errorTitle(p))
		}
		// In another browser there is no sign-in in progress at all.
		b := e.visitor()
		if p := b.get(cb); p.status != http.StatusBadRequest || errorTitle(p) != "No sign-in in progress" || b.cookie() != nil {
			t.Errorf("callback replayed in another browser: got %d %q, cookie %v; want 400 No sign-in in progress and no cookie", p.status, errorTitle(p), b.cookie())
		}
	})

	t.Run("code redeemed twice", func(t *testing.T) {
		a := e.visitor()
		cb := a.callbackURL(a.submitLogin(a.startLogin(""), provider.Alice))
		b := e.visitor()
		b.jar.SetCookies(mustURL(t, e.base), []*http.Cookie{a.cookie()}) // a copy of the browser's pending sign-in
		if home := a.get(cb); who(home) != "Alice Example" {
			t.Fatalf("sign-in: got %d %q", home.status, errorTitle(home))
		}
		p := b.get(cb)
		if p.status != http.StatusBadRequest || errorTitle(p) != "The code could not be redeemed" || b.cookieSignedIn() {
			t.Errorf("the same code again: got %d %q, signed in %v; want 400 The code could not be redeemed", p.status, errorTitle(p), b.cookieSignedIn())
		}
	})
}

// TestFormPost shows why the application keeps response_mode=query: with
// form_post the provider's page posts the code to the callback from
// another site, and a browser sends no SameSite=Lax cookie with that
// POST. The jar here sends cookies whatever their SameSite, so the test
// posts as such a browser does: without the cookie.
func TestFormPost(t *testing.T) {
	t.Parallel()
	e := start(t, slow)
	a := e.visitor()
	p := a.submitLogin(a.startLogin("form_post"), provider.Alice)
	f := parseForm(t, p)
	if p.status != http.StatusOK || f.action != e.base+"/callback" || f.fields.Get("code") == "" || f.fields.Get("state") == "" {
		t.Fatalf("form_post page: got %d posting %v to %s, want a form posting a code and a state to the callback", p.status, f.fields, f.action)
	}

	req, err := http.NewRequest(http.MethodPost, f.action, strings.NewReader(f.fields.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", strings.TrimSuffix(e.provider.Issuer, "/"))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req) // no jar: the cookie stays home
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "No sign-in in progress") || !strings.Contains(body, "SameSite=Lax") {
		t.Errorf("form_post without the cookie: got %d, want 400 explaining the SameSite=Lax cookie:\n%s", resp.StatusCode, body)
	}
	if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("the failed callback set cookies %q; want none: it must not replace the browser's session", sc)
	}

	// The same POST with the cookie signs in: nothing but SameSite was in the way.
	home := a.post(f.action, f.fields)
	if who(home) != "Alice Example" {
		t.Errorf("form_post with the cookie: got %d %q, want Alice signed in", home.status, errorTitle(home))
	}
}

// TestSignInExpires finishes a sign-in started 11 minutes ago: refused.
func TestSignInExpires(t *testing.T) {
	t.Parallel()
	e := start(t, slow)
	a := e.visitor()
	login := a.startLogin("")
	var p map[string]any
	if err := json.Unmarshal(a.session().Values["login"], &p); err != nil {
		t.Fatal(err)
	}
	p["started"] = time.Now().Add(-11 * time.Minute).Unix()
	a.jar.SetCookies(mustURL(t, e.base), []*http.Cookie{sealed(t, e, "login", p)})

	cb := a.callbackURL(a.submitLogin(login, provider.Alice))
	if got := a.get(cb); got.status != http.StatusBadRequest || errorTitle(got) != "Sign-in expired" || a.cookieSignedIn() {
		t.Errorf("a sign-in of 11 minutes: got %d %q, signed in %v; want 400 Sign-in expired", got.status, errorTitle(got), a.cookieSignedIn())
	}
}

// sealed returns a session cookie of e's application holding value under key.
func sealed(t *testing.T, e *env, key string, value any) *http.Cookie {
	t.Helper()
	m, err := cookiesession.New(e.keys, cookiesession.Config{Name: oidcapp.CookieName})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := m.Get(r).Set(key, value); err != nil {
			t.Error(err)
		}
	})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("got %d cookies, want 1", len(cookies))
	}
	return cookies[0]
}

func TestLoginRefusesUnknownResponseMode(t *testing.T) {
	t.Parallel()
	e := start(t, slow)
	a := e.visitor()
	p := a.post(e.base+"/login", url.Values{"response_mode": {"fragment"}})
	if p.status != http.StatusBadRequest || a.cookie() != nil {
		t.Errorf("response_mode=fragment: got %d, cookie %v; want 400 and no cookie", p.status, a.cookie())
	}
}

// cookieSignedIn reports whether the jar's session holds tokens.
func (a *visitor) cookieSignedIn() bool {
	if a.cookie() == nil {
		return false
	}
	_, ok := a.session().Values["tokens"]
	return ok
}

func withParam(t *testing.T, raw, name, value string) string {
	t.Helper()
	u := mustURL(t, raw)
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
