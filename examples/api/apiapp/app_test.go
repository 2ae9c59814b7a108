package apiapp_test

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/api/apiapp"
)

func TestCookieClient(t *testing.T) {
	srv := newServer(t, newKeys(t))
	c := srv.cookieClient()

	res := c.call("POST", "/login", `{"user": "alice"}`)
	var me apiapp.Me
	decode(t, res, &me)
	if res.StatusCode != http.StatusOK || me.User != "alice" || me.Cart == nil || len(me.Cart) != 0 {
		t.Fatalf("login: got %d %+v, want 200 for alice with an empty cart", res.StatusCode, me)
	}
	if until := time.Until(me.ExpiresAt); until < 23*time.Hour || until > 24*time.Hour {
		t.Errorf("login: session expires in %v, want about 24h", until)
	}
	sc := res.Cookies()
	if len(sc) != 1 || sc[0].Name != apiapp.CookieName || !sc[0].HttpOnly || !sc[0].Secure || sc[0].SameSite != http.SameSiteLaxMode {
		t.Errorf("login: got cookies %v, want one HttpOnly, Secure, SameSite=Lax %s", sc, apiapp.CookieName)
	}
	if _, ok := res.Header[apiapp.TokenHeader]; ok {
		t.Errorf("login: got a %s header for a cookie client, want none", apiapp.TokenHeader)
	}

	if me := c.ok("GET", "/me", ""); me.User != "alice" || len(me.Cart) != 0 {
		t.Errorf("GET /me: got %+v, want alice with an empty cart", me)
	}
	c.ok("POST", "/cart/items", `{"sku": "A-1", "qty": 2}`)
	c.ok("POST", "/cart/items", `{"sku": "B-2", "qty": 1}`)
	c.ok("POST", "/cart/items", `{"sku": "A-1", "qty": 1}`)
	want := []apiapp.Item{{SKU: "A-1", Qty: 3}, {SKU: "B-2", Qty: 1}}
	if me := c.ok("GET", "/me", ""); !slices.Equal(me.Cart, want) {
		t.Errorf("cart: got %v, want %v", me.Cart, want)
	}

	res = c.call("POST", "/logout", "")
	if sc := res.Cookies(); res.StatusCode != http.StatusNoContent || len(sc) != 1 || sc[0].MaxAge >= 0 {
		t.Errorf("logout: got %d with cookies %v, want 204 deleting the cookie", res.StatusCode, sc)
	}
	if v := c.sessionValue(); v != "" {
		t.Errorf("logout: the jar still holds the cookie")
	}
	checkError(t, c.call("GET", "/me", ""), http.StatusUnauthorized, "not signed in")
	srv.hook.checkReason(t, "")
}

func TestTokenClient(t *testing.T) {
	srv := newServer(t, newKeys(t))
	c := srv.tokenClient()

	res := c.call("POST", "/login", `{"user": "bob"}`)
	if res.StatusCode != http.StatusOK || *c.token == "" {
		t.Fatalf("login with an empty %s: got %d and token %q, want 200 and a token", apiapp.TokenHeader, res.StatusCode, *c.token)
	}
	if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("login: got Set-Cookie %q for a token client, want none", sc)
	}
	if cc, vary := res.Header.Get("Cache-Control"), strings.Join(res.Header.Values("Vary"), ", "); cc != "no-store" || vary != "Cookie, "+apiapp.TokenHeader {
		t.Errorf("login: got Cache-Control %q and Vary %q, want no-store and %s", cc, vary, apiapp.TokenHeader)
	}
	if c.sessionValue() == "" || len(apiapp.CookieName)+len(c.sessionValue()) > cookiesession.MaxCookieSize {
		t.Errorf("login: token of %d bytes", len(c.sessionValue()))
	}

	first := *c.token
	res = c.call("GET", "/me", "")
	if _, ok := res.Header[apiapp.TokenHeader]; ok || res.StatusCode != http.StatusOK {
		t.Errorf("GET /me: got %d and header %v, want 200 and no new token for an unchanged session", res.StatusCode, ok)
	}
	if me := c.ok("POST", "/cart/items", `{"sku": "C-3", "qty": 5}`); me.User != "bob" || len(me.Cart) != 1 {
		t.Errorf("add item: got %+v", me)
	}
	if *c.token == first {
		t.Errorf("add item: the token did not change")
	}
	if me := c.ok("GET", "/me", ""); !slices.Equal(me.Cart, []apiapp.Item{{SKU: "C-3", Qty: 5}}) {
		t.Errorf("GET /me with the new token: got %+v", me)
	}

	// Stateless: the first token still opens until it expires.
	old := c.with(t)
	old.token = &first
	if me := old.ok("GET", "/me", ""); me.User != "bob" || len(me.Cart) != 0 {
		t.Errorf("GET /me with the first token: got %+v, want bob's empty cart", me)
	}

	res = c.call("POST", "/logout", "")
	if tok, ok := res.Header[apiapp.TokenHeader]; res.StatusCode != http.StatusNoContent || !ok || tok[0] != "" {
		t.Errorf("logout: got %d with %s %q, want 204 with it present and empty", res.StatusCode, apiapp.TokenHeader, tok)
	}
	checkError(t, c.call("GET", "/me", ""), http.StatusUnauthorized, "not signed in")
	srv.hook.checkReason(t, "")
}

// TestInvalidSessions checks that a session that cannot be opened is a
// 401 with a JSON body, never a 500, and that OnInvalid says why.
func TestInvalidSessions(t *testing.T) {
	keys := newKeys(t)
	srv := newServer(t, keys)
	h, err := apiapp.New(keys, cookiesession.Config{})
	if err != nil {
		t.Fatal(err)
	}
	removed, err := apiapp.New(newKeys(t), cookiesession.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []bool{false, true} {
		valid := mint(t, h, token)
		var expired string
		// synctest's clock starts in 2000: a session made there has long expired.
		synctest.Test(t, func(t *testing.T) { expired = mint(t, h, token) })
		cases := []struct {
			name   string
			value  string
			reason cookiesession.Reason
		}{
			{"tampered", tamper(t, valid), cookiesession.ReasonAuth},
			{"expired", expired, cookiesession.ReasonExpired},
			{"under a removed key", mint(t, removed, token), cookiesession.ReasonUnknownKey},
			{"from the other transport", mint(t, h, !token), cookiesession.ReasonAuth},
			{"not base64url", "not-a-session!", cookiesession.ReasonMalformed},
		}
		for _, tc := range cases {
			t.Run(transportName(token)+" "+tc.name, func(t *testing.T) {
				res := sendSession(t, srv, token, tc.value, "GET", "/me", "")
				checkError(t, res, http.StatusUnauthorized, "not signed in")
				checkNothingWritten(t, res)
				srv.hook.checkReason(t, tc.reason)
			})
		}
		t.Run(transportName(token)+" valid", func(t *testing.T) {
			if res := sendSession(t, srv, token, valid, "GET", "/me", ""); res.StatusCode != http.StatusOK {
				t.Errorf("GET /me: got %d %s, want 200", res.StatusCode, res.body)
			}
			srv.hook.checkReason(t, "")
		})
	}
}

// TestLoginStartsEmpty checks that signing in keeps nothing of the session
// before it, which on a shared browser or client is another user's.
func TestLoginStartsEmpty(t *testing.T) {
	keys := newKeys(t)
	srv := newServer(t, keys)
	// alice's session, holding a value that login does not set (a later
	// version of the API might keep her address there).
	m, err := cookiesession.New(keys, cookiesession.Config{Name: apiapp.CookieName, TokenHeader: apiapp.TokenHeader})
	if err != nil {
		t.Fatal(err)
	}
	alices := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Get(r)
		s.Set("user", "alice")
		s.Set("address", "1 Main St")
	}))
	for _, token := range []bool{false, true} {
		t.Run(transportName(token), func(t *testing.T) {
			alice := mint(t, alices, token)
			res := sendSession(t, srv, token, alice, "POST", "/login", `{"user": "bob"}`)
			bob := res.Header.Get(apiapp.TokenHeader)
			if sc := res.Cookies(); !token && len(sc) == 1 {
				bob = sc[0].Value
			}
			c, err := keys.Inspect(apiapp.CookieName, bob, time.Now())
			if err != nil {
				t.Fatalf("bob's session: %v", err)
			}
			if keys := slices.Sorted(maps.Keys(c.Values)); !slices.Equal(keys, []string{"cart", "user"}) || string(c.Values["user"]) != `"bob"` {
				t.Errorf("bob's session after alice's: got keys %q and user %s, want cart and user, bob", keys, c.Values["user"])
			}
		})
	}
}

func transportName(token bool) string {
	if token {
		return "token"
	}
	return "cookie"
}

// mint signs alice in through h, in process, and returns her cookie's
// value, or her token.
func mint(tb testing.TB, h http.Handler, token bool) string {
	tb.Helper()
	req := httptest.NewRequest("POST", "https://api.example/login", strings.NewReader(`{"user": "alice"}`))
	req.Header.Set("Content-Type", "application/json")
	if token {
		req.Header.Set(apiapp.TokenHeader, "")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	if token {
		if v := res.Header.Get(apiapp.TokenHeader); v != "" {
			return v
		}
	} else if sc := res.Cookies(); len(sc) == 1 {
		return sc[0].Value
	}
	tb.Fatalf("minting a session: got %d %v, want one", res.StatusCode, res.Header)
	return ""
}

// tamper flips one bit in the middle of a sealed value.
func tamper(tb testing.TB, v string) string {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		tb.Fatal(err)
	}
	b[len(b)/2] ^= 0x10
	return base64.RawURLEncoding.EncodeToString(b)
}

// sendSession sends a request carrying value as the session cookie, or as
// the token.
func sendSession(tb testing.TB, srv *server, token bool, value, method, path, body string) response {
	tb.Helper()
	c := &client{t: srv.t, srv: srv, http: srv.ts.Client()}
	req := c.request(method, path, body)
	if token {
		req.Header.Set(apiapp.TokenHeader, value)
	} else {
		req.AddCookie(&http.Cookie{Name: apiapp.CookieName, Value: value})
	}
	return c.do(req)
}

// signedIn returns a server and a cookie client of it signed in as user,
// with qty of SKU D-4 in the cart, and what GET /me says then.
func signedIn(t *testing.T, user string, qty int) (*server, *client, apiapp.Me) {
	t.Helper()
	srv := newServer(t, newKeys(t))
	c := srv.cookieClient()
	c.login(user)
	c.ok("POST", "/cart/items", fmt.Sprintf(`{"sku": "D-4", "qty": %d}`, qty))
	return srv, c, c.ok("GET", "/me", "")
}

// checkUnchanged checks that the client's session still holds before.
func (c *client) checkUnchanged(before apiapp.Me) {
	c.t.Helper()
	if after := c.ok("GET", "/me", ""); after.User != before.User || !slices.Equal(after.Cart, before.Cart) {
		c.t.Errorf("session after: got %+v, want %+v", after, before)
	}
}

func TestBadRequests(t *testing.T) {
	srv, c, before := signedIn(t, "carol", 60)
	big := `{"user": "` + strings.Repeat("x", 5000) + `"}`
	tests := []struct {
		name, method, path, body string
		contentType              string
		status                   int
		want                     string
	}{
		{"login: not JSON", "POST", "/login", "user=mallory", "application/x-www-form-urlencoded", 415, "Content-Type: application/json"},
		{"login: JSON as text/plain", "POST", "/login", `{"user": "mallory"}`, "text/plain", 415, "Content-Type: application/json"},
		{"login: truncated JSON", "POST", "/login", `{"user": `, "", 400, "bad JSON"},
		{"login: not an object", "POST", "/login", `["mallory"]`, "", 400, "bad JSON"},
		{"login: unknown field", "POST", "/login", `{"user": "mallory", "admin": true}`, "", 400, `unknown field "admin"`},
		{"login: two values", "POST", "/login", `{"user": "a"} {"user": "b"}`, "", 400, "more than one JSON value"},
		{"login: empty body", "POST", "/login", "", "application/json", 400, "the body is empty"},
		{"login: body too large", "POST", "/login", big, "", 413, "over 4096 bytes"},
		{"login: no user", "POST", "/login", `{}`, "", 400, `"user" is required`},
		{"login: long user", "POST", "/login", `{"user": "` + strings.Repeat("é", 33) + `"}`, "", 400, "at most 32 characters"},
		{"login: user with a space", "POST", "/login", `{"user": "mal lory"}`, "", 400, "only letters"},
		{"login: user with markup", "POST", "/login", `{"user": "<b>"}`, "", 400, "only letters"},
		{"item: no sku", "POST", "/cart/items", `{"qty": 1}`, "", 400, `"sku" is required`},
		{"item: sku not ASCII", "POST", "/cart/items", `{"sku": "É-1", "qty": 1}`, "", 400, "only ASCII"},
		{"item: qty 0", "POST", "/cart/items", `{"sku": "D-4", "qty": 0}`, "", 400, `"qty" is a whole number from 1 to 99`},
		{"item: qty 100", "POST", "/cart/items", `{"sku": "E-5", "qty": 100}`, "", 400, `"qty" is a whole number`},
		{"item: qty as a string", "POST", "/cart/items", `{"sku": "D-4", "qty": "1"}`, "", 400, "bad JSON"},
		{"item: qty fractional", "POST", "/cart/items", `{"sku": "D-4", "qty": 1.5}`, "", 400, "bad JSON"},
		{"item: over 99 of one", "POST", "/cart/items", `{"sku": "D-4", "qty": 40}`, "", 400, "at most 99 of one item"},
		{"GET /login", "GET", "/login", "", "", 405, "use POST"},
		{"DELETE /me", "DELETE", "/me", "", "", 405, "use GET"},
		{"unknown path", "GET", "/admin", "", "", 404, "no such endpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := c.request(tc.method, tc.path, tc.body)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			res := c.do(req)
			checkError(t, res, tc.status, tc.want)
			checkNothingWritten(t, res)
			if tc.status == http.StatusMethodNotAllowed && res.Header.Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
		})
	}
	c.checkUnchanged(before)
	srv.hook.checkReason(t, "")
}

func TestSignedOut(t *testing.T) {
	srv := newServer(t, newKeys(t))
	for _, c := range []*client{srv.cookieClient(), srv.tokenClient()} {
		for _, path := range []string{"/me", "/cart/items"} {
			method, body := "GET", ""
			if path == "/cart/items" {
				method, body = "POST", `{"sku": "A-1", "qty": 1}`
			}
			res := c.call(method, path, body)
			checkError(t, res, http.StatusUnauthorized, "not signed in")
			checkNothingWritten(t, res)
		}
		if res := c.call("POST", "/logout", ""); res.StatusCode != http.StatusNoContent {
			t.Errorf("logout without a session: got %d, want 204", res.StatusCode)
		}
	}
	srv.hook.checkReason(t, "")
}

var tooLarge = regexp.MustCompile(`^the session would be (\d+) bytes, over the 4096 bytes a cookie holds; the cart is unchanged$`)

// TestCartFull fills the cart until the session would not fit in a
// cookie: the write is refused with 413, nothing is handed back, and the
// session keeps the cart it had.
func TestCartFull(t *testing.T) {
	srv := newServer(t, newKeys(t))
	for _, c := range []*client{srv.cookieClient(), srv.tokenClient()} {
		name := "cookie"
		if c.token != nil {
			name = "token"
		}
		t.Run(name, func(t *testing.T) {
			c := c.with(t)
			c.login("dave")
			for i := 1; i <= 200; i++ {
				before := c.sessionValue()
				res := c.call("POST", "/cart/items", fmt.Sprintf(`{"sku": "SKU-%04d", "qty": 1}`, i))
				if res.StatusCode == http.StatusOK {
					continue
				}
				var e struct{ Error string }
				decode(t, res, &e)
				m := tooLarge.FindStringSubmatch(e.Error)
				if res.StatusCode != http.StatusRequestEntityTooLarge || m == nil {
					t.Fatalf("item %d: got %d %q, want 200, or 413 saying the cart is unchanged", i, res.StatusCode, e.Error)
				}
				if n, _ := strconv.Atoi(m[1]); n <= cookiesession.MaxCookieSize {
					t.Errorf("413 names %d bytes, want more than %d", n, cookiesession.MaxCookieSize)
				}
				checkNothingWritten(t, res)
				if after := c.sessionValue(); after != before || len(apiapp.CookieName)+len(after) > cookiesession.MaxCookieSize {
					t.Errorf("the client's session changed on the refused item, or is over the limit")
				}
				me := c.ok("GET", "/me", "")
				if len(me.Cart) != i-1 || me.Cart[i-2].SKU != fmt.Sprintf("SKU-%04d", i-1) {
					t.Errorf("after the refusal: %d lines, want the %d added before", len(me.Cart), i-1)
				}
				if i < 50 {
					t.Errorf("refused after %d items, want room for at least 50", i-1)
				}
				return
			}
			t.Fatal("200 items fit in the session, want a refusal")
		})
	}
	srv.hook.checkReason(t, "")
}

// TestCrossOriginRefused checks that unsafe requests from other origins
// are refused before the session is read, and leave it as it was.
func TestCrossOriginRefused(t *testing.T) {
	srv, c, before := signedIn(t, "erin", 1)
	item := `{"sku": "EVIL", "qty": 9}`
	for _, tc := range []struct {
		name, path, body string
		header           map[string]string
	}{
		{"cross-site", "/cart/items", item, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"same site, other origin", "/cart/items", item, map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"old browser, foreign Origin", "/cart/items", item, map[string]string{"Origin": "https://attacker.example"}},
		{"logout from another site", "/logout", "", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://attacker.example"}},
		{"login from another site", "/login", `{"user": "mallory"}`, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := c.request("POST", tc.path, tc.body)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			res := c.do(req)
			checkError(t, res, http.StatusForbidden, "cross-origin request refused")
			checkNothingWritten(t, res)
			if vary := res.Header.Values("Vary"); len(vary) != 0 {
				t.Errorf("got Vary %q, want none: the session was not to be read", vary)
			}
			c.with(t).checkUnchanged(before)
		})
	}

	// The same request from the API's own origin, or from a client that
	// is not a browser, goes through.
	for _, header := range []map[string]string{{"Sec-Fetch-Site": "same-origin"}, {"Origin": srv.ts.URL}, nil} {
		req := c.request("POST", "/cart/items", item)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		if res := c.do(req); res.StatusCode != http.StatusOK {
			t.Errorf("POST with %v: got %d %s, want 200", header, res.StatusCode, res.body)
		}
	}
	if after := c.ok("GET", "/me", ""); len(after.Cart) != 2 || after.Cart[1] != (apiapp.Item{SKU: "EVIL", Qty: 27}) {
		t.Errorf("after three same-origin adds: got %+v, want 27 EVIL", after.Cart)
	}
	srv.hook.checkReason(t, "")
}
