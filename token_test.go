package cookiesession_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/cookiesession/cookiesession"
)

const tokenHeader = "Session-Token"

// request is one request's session material: cookie lines and token
// header values (a nil slice sends no token header; an empty string sends
// the header empty).
type request struct {
	cookies []string
	tokens  []string
}

func (q request) serve(h http.Handler) *http.Response {
	req := httptest.NewRequest("GET", "https://example.com/", nil)
	for _, c := range q.cookies {
		req.Header.Add("Cookie", c)
	}
	for _, v := range q.tokens {
		req.Header.Add(tokenHeader, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func withToken(v string) request { return request{tokens: []string{v}} }

// tokenOf returns the token a response hands back, and whether it hands
// one back at all; it fails if the response also sets a cookie.
func tokenOf(tb testing.TB, resp *http.Response) (string, bool) {
	tb.Helper()
	noCookie(tb, resp)
	vs, ok := resp.Header[tokenHeader]
	if ok && len(vs) != 1 {
		tb.Fatalf("%s: got %q, want one value", tokenHeader, vs)
	}
	if !ok {
		return "", false
	}
	return vs[0], true
}

func tokenManager(tb testing.TB, ring *cookiesession.KeyRing, hook *hookLog) *cookiesession.Manager {
	cfg := cookiesession.Config{TokenHeader: tokenHeader}
	if hook != nil {
		cfg.OnInvalid = hook.record
	}
	return mustNew(tb, ring, cfg)
}

// mintToken returns a token that m hands a client for a session holding
// user=alice.
func mintToken(tb testing.TB, m *cookiesession.Manager) string {
	tb.Helper()
	resp := withToken("").serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		s.Set("user", "alice")
	}))
	tok, ok := tokenOf(tb, resp)
	if !ok || tok == "" {
		tb.Fatalf("minting a token: got header %v %q, want a token", ok, tok)
	}
	return tok
}

func userOf(s *cookiesession.Session) string {
	var u string
	s.Get("user", &u)
	return u
}

func TestTokenLifecycle(t *testing.T) {
	var hook hookLog
	m := tokenManager(t, freshRing(t), &hook)
	var user string
	read := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { user = userOf(s) })
	destroy := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Destroy() })

	// A client without a token asks for one with the header empty.
	resp := withToken("").serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		s.Set("user", "alice")
	}))
	tok, ok := tokenOf(t, resp)
	if !ok || tok == "" {
		t.Fatalf("login: got token header %v %q, want a token", ok, tok)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("login: Cache-Control got %q, want no-store", cc)
	}
	if vary := resp.Header.Values("Vary"); strings.Join(vary, ", ") != "Cookie, "+tokenHeader {
		t.Errorf("login: Vary got %q, want Cookie and %s", vary, tokenHeader)
	}

	// Reading it hands nothing back.
	resp = withToken(tok).serve(read)
	if user != "alice" {
		t.Errorf("read: got user %q, want alice", user)
	}
	if _, ok := tokenOf(t, resp); ok {
		t.Errorf("read: got a token header, want none for an unchanged session")
	}
	if vary := resp.Header.Values("Vary"); strings.Join(vary, ", ") != "Cookie, "+tokenHeader {
		t.Errorf("read: Vary got %q, want Cookie and %s", vary, tokenHeader)
	}

	// Destroy hands back an empty token.
	resp = withToken(tok).serve(destroy)
	if got, ok := tokenOf(t, resp); !ok || got != "" {
		t.Errorf("destroy: got header %v %q, want it present and empty", ok, got)
	}
	if len(hook.calls()) != 0 {
		t.Errorf("OnInvalid: got %v, want no calls", hook.calls())
	}
}

// TestTokenOnlyWhenAsked checks that a Manager without TokenHeader reads no
// header, and that one with it treats requests without the header as
// cookie requests.
func TestTokenOnlyWhenAsked(t *testing.T) {
	ring := freshRing(t)
	tok := mintToken(t, tokenManager(t, ring, nil))
	var user string
	var hook hookLog
	plain := mustNew(t, ring, cookiesession.Config{OnInvalid: hook.record})
	resp := withToken(tok).serve(wrap(plain, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		user = userOf(s)
		s.Set("x", 1)
	}))
	if user != "" || len(hook.calls()) != 0 {
		t.Errorf("without TokenHeader: got user %q and OnInvalid %v, want the header ignored", user, hook.calls())
	}
	if _, ok := resp.Header[tokenHeader]; ok || len(resp.Header.Values("Set-Cookie")) != 1 {
		t.Errorf("without TokenHeader: got %v, want a cookie and no token", resp.Header)
	}
	if vary := resp.Header.Values("Vary"); strings.Join(vary, ",") != "Cookie" {
		t.Errorf("without TokenHeader: Vary got %q, want Cookie", vary)
	}

	tm := tokenManager(t, ring, nil)
	resp = request{}.serve(wrap(tm, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Set("x", 1) }))
	if _, ok := resp.Header[tokenHeader]; ok || len(resp.Header.Values("Set-Cookie")) != 1 {
		t.Errorf("no token header: got %v, want a cookie and no token", resp.Header)
	}
}

// TestTokenTransportBound checks that a token does not open as a cookie,
// nor a cookie as a token, and which one a request with both uses.
func TestTokenTransportBound(t *testing.T) {
	ring := freshRing(t)
	var hook hookLog
	m := tokenManager(t, ring, &hook)
	tok, cookie := mintToken(t, m), mint(t, m)
	var user string
	var isNew bool
	read := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		user, isNew = userOf(s), s.IsNew()
	})
	const name = "__Host-session="
	cases := []struct {
		name     string
		req      request
		wantUser string
		reason   cookiesession.Reason
	}{
		{"the token as a token", withToken(tok), "alice", ""},
		{"the cookie as a cookie", request{cookies: []string{name + cookie}}, "alice", ""},
		{"the token as a cookie", request{cookies: []string{name + tok}}, "", cookiesession.ReasonAuth},
		{"the cookie as a token", withToken(cookie), "", cookiesession.ReasonAuth},
		{"both: the token wins", request{cookies: []string{name + "garbage"}, tokens: []string{tok}}, "alice", ""},
		{"both: the cookie is ignored", request{cookies: []string{name + cookie}, tokens: []string{""}}, "", ""},
		{"a tampered token", withToken(flipBit(t, tok, 40, 4)), "", cookiesession.ReasonAuth},
		{"a token that is not base64url", withToken(tok + "!"), "", cookiesession.ReasonMalformed},
		{"spaces and tabs around the token are ignored", withToken(" \t" + tok + "\t "), "alice", ""},
		{"a no-break space is not", withToken("\u00a0" + tok), "", cookiesession.ReasonMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hook.reset()
			resp := tc.req.serve(read)
			if user != tc.wantUser || isNew != (tc.wantUser == "") {
				t.Errorf("got user %q (new %v), want %q", user, isNew, tc.wantUser)
			}
			checkReasons(t, hook.calls(), tc.reason)
			if tc.req.tokens != nil {
				tokenOf(t, resp) // no Set-Cookie for a token request
			} else if _, ok := resp.Header[tokenHeader]; ok {
				t.Errorf("cookie request: got a %s header, want none", tokenHeader)
			}
		})
	}
}

// checkReasons checks OnInvalid's calls: one with want, or none if want is "".
func checkReasons(tb testing.TB, calls []error, want cookiesession.Reason) {
	tb.Helper()
	if want == "" {
		if len(calls) != 0 {
			tb.Errorf("OnInvalid: got %v, want no call", calls)
		}
		return
	}
	var ie *cookiesession.InvalidError
	if len(calls) != 1 || !errors.As(calls[0], &ie) || !errors.Is(calls[0], cookiesession.ErrInvalid) || ie.Reason != want {
		tb.Errorf("OnInvalid: got %v, want one call with reason %q", calls, want)
	}
}

// TestTokenRotationAndExpiry checks that tokens follow the key ring and the
// session's times as cookies do.
func TestTokenRotationAndExpiry(t *testing.T) {
	oldKey, newKey := cookiesession.GenerateKey(), cookiesession.GenerateKey()
	var hook hookLog
	old := tokenManager(t, ringOf(t, oldKey), nil)
	rotated := mustNew(t, ringOf(t, newKey, oldKey), cookiesession.Config{TokenHeader: tokenHeader, OnInvalid: hook.record})
	var user string
	read := func(m *cookiesession.Manager) http.Handler {
		return wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { user = userOf(s) })
	}

	resp := withToken(mintToken(t, old)).serve(read(rotated))
	resealed, ok := tokenOf(t, resp)
	if user != "alice" || !ok || resealed == "" {
		t.Fatalf("old-key token: got user %q, token %v, want alice and a re-sealed token", user, ok)
	}
	if c, err := ringOf(t, newKey).Inspect("__Host-session", resealed, time.Now()); err != nil || c.Transport != "token" || c.KeyID != rotated.Stats().Keys[0].ID {
		t.Errorf("re-sealed token: got %+v, %v; want a token under the new key", c, err)
	}

	dropped := tokenManager(t, ringOf(t, newKey), &hook)
	withToken(mintToken(t, old)).serve(read(dropped))
	checkReasons(t, hook.calls(), cookiesession.ReasonUnknownKey)

	hook.reset()
	short := mustNew(t, ringOf(t, newKey), cookiesession.Config{TokenHeader: tokenHeader, Lifetime: time.Second, OnInvalid: hook.record})
	var tok string
	inBubble(t, 0, func(t *testing.T) {
		tok = mintToken(t, short)
		time.Sleep(time.Second)
		withToken(tok).serve(read(short))
	})
	checkReasons(t, hook.calls(), cookiesession.ReasonExpired)
}

// TestTokenSizeBudget checks that a token is held to the cookie's budget,
// so it could always travel as a cookie too.
func TestTokenSizeBudget(t *testing.T) {
	m := tokenManager(t, freshRing(t), nil)
	budget := cookiesession.PayloadBudget("__Host-session")
	var setErr error
	fill := func(n int) http.Handler {
		return wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
			// One entry: 3 bytes of framing, a 1-byte key, a JSON string of n-2 bytes and its quotes.
			setErr = s.Set("k", strings.Repeat("x", n-3-1-2))
		})
	}
	tok, _ := tokenOf(t, withToken("").serve(fill(budget)))
	if setErr != nil || len("__Host-session")+len(tok) != cookiesession.MaxCookieSize {
		t.Errorf("full token: got %v and %d bytes with the cookie name, want nil and %d", setErr, len("__Host-session")+len(tok), cookiesession.MaxCookieSize)
	}
	resp := withToken("").serve(fill(budget + 1))
	if !errors.Is(setErr, cookiesession.ErrTooLarge) {
		t.Errorf("one byte over: got %v, want ErrTooLarge", setErr)
	}
	if _, ok := tokenOf(t, resp); ok {
		t.Errorf("one byte over: got a token, want none")
	}
}

func TestTokenHeaderConfig(t *testing.T) {
	ring := freshRing(t)
	for _, name := range []string{
		"Cookie", "set-cookie", "Authorization", "Vary", "Sec-Session", "Session Token", "Session:Token", "Sessión",
		"Accept-Language", "Content-Language", "Range", "Proxy-Session", "Access-Control-Token", "Session_Token",
	} {
		if _, err := cookiesession.New(ring, cookiesession.Config{TokenHeader: name}); err == nil {
			t.Errorf("TokenHeader %q: got nil, want an error", name)
		}
	}
	// Header names are case-insensitive.
	m := mustNew(t, ring, cookiesession.Config{TokenHeader: "session-token"})
	resp := withToken("").serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Set("a", 1) }))
	if tok, ok := tokenOf(t, resp); !ok || tok == "" {
		t.Errorf("TokenHeader session-token: got %v %q, want a token in Session-Token", ok, tok)
	}
}

// TestTokenEveryWritePath checks every path that writes a token: it hands
// back the token, or an empty one, with no Set-Cookie, no-store and Vary
// on both transports.
func TestTokenEveryWritePath(t *testing.T) {
	old := cookiesession.GenerateKey()
	oldTok := mintToken(t, tokenManager(t, ringOf(t, old), nil))
	fail := false
	hook := func(*http.Request, *cookiesession.Session) error {
		if fail {
			return errRevoked
		}
		return nil
	}
	m := mustNew(t, ringOf(t, cookiesession.GenerateKey(), old), cookiesession.Config{TokenHeader: tokenHeader, Revalidate: hook})
	tok := mintToken(t, m)
	cases := []struct {
		name    string
		tok     string
		fail    bool
		handler func(w http.ResponseWriter, s *cookiesession.Session)
		empty   bool
	}{
		{"Destroy", tok, false, func(w http.ResponseWriter, s *cookiesession.Session) { s.Destroy() }, true},
		{"re-sealed after a rotation", oldTok, false, func(w http.ResponseWriter, s *cookiesession.Session) { s.Has("x") }, false},
		{"Revalidate failed", tok, true, func(w http.ResponseWriter, s *cookiesession.Session) { s.Has("x") }, true},
		{"committed by Flush", tok, false, func(w http.ResponseWriter, s *cookiesession.Session) {
			s.Set("k", 1)
			http.NewResponseController(w).Flush()
		}, false},
		{"committed by WriteHeader", tok, false, func(w http.ResponseWriter, s *cookiesession.Session) {
			s.Set("k", 1)
			w.WriteHeader(http.StatusNoContent)
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fail = tc.fail
			resp := withToken(tc.tok).serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { tc.handler(w, s) }))
			if got, ok := tokenOf(t, resp); !ok || (got == "") != tc.empty {
				t.Errorf("got token header %v %q, want it present and empty: %v", ok, got, tc.empty)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("got Cache-Control %q, want no-store", cc)
			}
			if vary := strings.Join(resp.Header.Values("Vary"), ", "); vary != "Cookie, "+tokenHeader {
				t.Errorf("got Vary %q, want Cookie, %s", vary, tokenHeader)
			}
		})
	}
}

// TestTokenHTTP2 carries a token over real HTTP/2, whose header names are
// lowercase on the wire.
func TestTokenHTTP2(t *testing.T) {
	ring := freshRing(t)
	m := mustNew(t, ring, cookiesession.Config{TokenHeader: "session-token"})
	srv := httptest.NewUnstartedServer(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		n := 0
		s.Get("n", &n)
		s.Set("n", n+1)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	tok := ""
	for i := range 3 {
		req, err := http.NewRequest("GET", srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header["session-token"] = []string{tok}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.ProtoMajor != 2 || len(resp.Header.Values("Set-Cookie")) != 0 {
			t.Fatalf("request %d: got %s and Set-Cookie %q, want HTTP/2 and none", i, resp.Proto, resp.Header.Values("Set-Cookie"))
		}
		tok = resp.Header.Get("Session-Token")
	}
	c, err := ring.Inspect("__Host-session", tok, time.Now())
	if err != nil || string(c.Values["n"]) != "3" || c.Transport != "token" {
		t.Errorf("after 3 requests: got %+v, %v; want a token holding n=3", c, err)
	}
}

// TestTokenIgnoresLegacyCookie checks that a token request does not
// migrate a legacy cookie: migration ends in a Set-Cookie, which a token
// response never carries.
func TestTokenIgnoresLegacyCookie(t *testing.T) {
	hash := securecookie.GenerateRandomKey(32)
	legacy, err := securecookie.New(hash, nil).Encode("legacy", map[any]any{"user": "alice"})
	if err != nil {
		t.Fatal(err)
	}
	m := mustNew(t, freshRing(t), cookiesession.Config{
		TokenHeader: tokenHeader,
		Migrate:     &cookiesession.GorillaCookie{Name: "legacy", KeyPairs: [][]byte{hash}, Until: time.Now().Add(time.Hour)},
	})
	var user string
	resp := request{cookies: []string{"legacy=" + legacy}, tokens: []string{""}}.serve(
		wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { user = userOf(s) }))
	tokenOf(t, resp) // no Set-Cookie
	if user != "" {
		t.Errorf("got user %q, want a new session", user)
	}
}
