package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// TestInspectChunks opens a session split over three cookies from what an
// operator pastes: the response's Set-Cookie lines as curl -i prints them,
// or the request's Cookie line, in any order; and names what is wrong
// with a set that is not whole.
func TestInspectChunks(t *testing.T) {
	ring := newRing(t, 1)
	cfg := cookiesession.Config{MaxCookies: 3, MaxSize: 3 * cookiesession.MaxCookieSize}
	header := serve(t, ring.keys, cfg, http.Header{}, func(s *cookiesession.Session) error {
		if err := login(s); err != nil {
			return err
		}
		return s.Set("notes", strings.Repeat("n", 8000))
	})
	lines := header.Values("Set-Cookie")
	if len(lines) != 3 {
		t.Fatalf("got %d Set-Cookie lines, want 3", len(lines))
	}
	var response, pairs []string
	values := map[string]string{}
	for _, l := range lines {
		response = append(response, "Set-Cookie: "+l)
		pair, _, _ := strings.Cut(l, ";")
		pairs = append(pairs, pair)
		name, value, _ := strings.Cut(pair, "=")
		values[name] = value
	}
	curl := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + strings.Join(response, "\r\n") + "\r\nVary: Cookie\r\n\r\nhello\r\n"
	reversed := "Cookie: theme=dark; " + pairs[2] + "; " + pairs[1] + "; " + pairs[0]
	for _, tc := range []struct{ name, stdin, arg string }{
		{"curl -i output", curl, ""},
		{"a Cookie line, chunks in reverse", "", reversed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var args []string
			if tc.arg != "" {
				args = []string{tc.arg}
			}
			reps, r := inspectJSON(t, ring.env(), tc.stdin, args...)
			wantExit(t, r, 0)
			if len(reps) != 1 || reps[0].Contents == nil {
				t.Fatalf("got %+v, want one session", reps)
			}
			ct := reps[0].Contents
			if ct.Cookies != 3 || ct.Version != 3 || string(ct.Values["user"]) != `"alice"` || len(ct.Values["notes"]) != 8002 {
				t.Errorf("got %d cookies, version %d, user %s, notes of %d bytes; want 3, 3, \"alice\", 8002",
					ct.Cookies, ct.Version, ct.Values["user"], len(ct.Values["notes"]))
			}
			r = run(t, ring.env(), tc.stdin, append([]string{"inspect"}, args...)...)
			wantExit(t, r, 0)
			want := fmt.Sprintf("v3, a cookie split over 3 cookies: %s and %[1]s.1 to %[1]s.2", cookieName)
			if !strings.Contains(r.stdout, want) {
				t.Errorf("got\n%s\nwant a line saying %q", r.stdout, want)
			}
		})
	}

	for _, tc := range []struct{ name, input, stderr string }{
		{"a chunk missing", "Cookie: " + pairs[0] + "; " + pairs[2], "invalid cookie: chunks"},
		{"the first chunk alone", "Cookie: " + pairs[0], "invalid cookie: chunks"},
		{"a chunk twice", "Cookie: " + pairs[0] + "; " + pairs[1] + "; " + cookieName + ".1=" + values[cookieName+".2"] + "; " + pairs[2],
			"the input holds " + cookieName + ".1 twice, with different values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, ring.env(), "", "inspect", tc.input)
			wantExit(t, r, 1)
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("got standard error %q, want %q", r.stderr, tc.stderr)
			}
		})
	}
}
