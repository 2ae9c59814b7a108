package cookiesession_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// TestSeveralTokens checks that a request carrying two distinct tokens is
// refused, whatever their order and however they are sent, and that the
// same token sent again is one token.
func TestSeveralTokens(t *testing.T) {
	var hook hookLog
	m := tokenManager(t, freshRing(t), &hook)
	a, b := mintToken(t, m), mintToken(t, m)
	var user string
	var isNew bool
	read := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		user, isNew = userOf(s), s.IsNew()
	})
	several := cookiesession.ReasonSeveralTokens
	cases := []struct {
		name   string
		tokens []string
		reason cookiesession.Reason // "" for the session of a, opened
	}{
		{"two valid tokens", []string{a, b}, several},
		{"the same two the other way round", []string{b, a}, several},
		{"a valid token, then garbage", []string{a, "garbage"}, several},
		{"garbage, then a valid token", []string{"garbage", a}, several},
		{"two kinds of garbage", []string{"garbage", "rubbish"}, several},
		{"two tokens joined by a comma", []string{a + ", " + b}, several},
		{"two tokens joined by a bare comma", []string{a + "," + b}, several},
		{"a valid token and garbage joined by a comma", []string{a + ",garbage"}, several},
		{"the same token twice", []string{a, a}, ""},
		{"the same token twice, with spaces and tabs", []string{a, " " + a + "\t"}, ""},
		{"the same token twice in one line", []string{a + ", " + a}, ""},
		{"an empty line and a token", []string{"", a}, ""},
		{"a token and an empty list element", []string{a + ", "}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hook.reset()
			before := m.Stats().Invalid[several]
			resp := request{tokens: tc.tokens}.serve(read)
			wantUser := "alice"
			if tc.reason != "" {
				wantUser = ""
			}
			if user != wantUser || isNew != (wantUser == "") {
				t.Errorf("got user %q (new %v), want %q", user, isNew, wantUser)
			}
			checkReasons(t, hook.calls(), tc.reason)
			if got, ok := tokenOf(t, resp); ok {
				t.Errorf("got token %q, want nothing written for a session only read", got)
			}
			wantCount := uint64(0)
			if tc.reason == several {
				wantCount = 1
			}
			if got := m.Stats().Invalid[several] - before; got != wantCount {
				t.Errorf("Stats().Invalid[%q] grew by %d, want %d", several, got, wantCount)
			}
		})
	}
}

// TestSeveralTokensWrites checks what a refused request writes: the new
// session if the handler writes it, and nothing otherwise, even on
// Destroy.
func TestSeveralTokensWrites(t *testing.T) {
	ring := freshRing(t)
	m := tokenManager(t, ring, nil)
	a, b := mintToken(t, m), mintToken(t, m)
	cases := []struct {
		name    string
		handler sessionFunc
		want    string // the new token's value of x, or "" for no token header
	}{
		{"Set", func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Set("x", 1) }, "1"},
		{"Destroy", func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Destroy() }, ""},
		{"Regenerate", func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Regenerate() }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok, ok := tokenOf(t, request{tokens: []string{a, b}}.serve(wrap(m, tc.handler)))
			if tc.want == "" {
				if ok {
					t.Errorf("got token %q, want no token header", tok)
				}
				return
			}
			c, err := ring.Inspect("__Host-session", tok, time.Now())
			if err != nil || string(c.Values["x"]) != tc.want || c.Values["user"] != nil {
				t.Errorf("got token %+v, %v; want a new session holding x=%s and no user", c, err, tc.want)
			}
		})
	}
}

// TestSeveralTokensOverHTTP sends two tokens over real HTTP/1.1 and
// HTTP/2, as two header lines and as one comma-joined line.
func TestSeveralTokensOverHTTP(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		var hook hookLog
		m := tokenManager(t, freshRing(t), &hook)
		a, b := mintToken(t, m), mintToken(t, m)
		var user string
		srv := tlsServer(t, wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
			user = userOf(s)
		}), h2)
		for _, tc := range []struct {
			name   string
			lines  []string
			reason cookiesession.Reason
		}{
			{"two lines", []string{a, b}, cookiesession.ReasonSeveralTokens},
			{"one comma-joined line", []string{a + ", " + b}, cookiesession.ReasonSeveralTokens},
			{"the same token twice", []string{a, a}, ""},
		} {
			name := tc.name + " over HTTP/1.1"
			if h2 {
				name = tc.name + " over HTTP/2"
			}
			t.Run(name, func(t *testing.T) {
				hook.reset()
				user = ""
				req, err := http.NewRequest("GET", srv.URL, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header[tokenHeader] = tc.lines
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if (resp.ProtoMajor == 2) != h2 {
					t.Fatalf("got %s, want HTTP/2: %v", resp.Proto, h2)
				}
				if want := map[bool]string{true: "", false: "alice"}[tc.reason != ""]; user != want {
					t.Errorf("got user %q, want %q", user, want)
				}
				checkReasons(t, hook.calls(), tc.reason)
				if got, ok := tokenOf(t, resp); ok {
					t.Errorf("got token %q, want none", got)
				}
			})
		}
	}
}
