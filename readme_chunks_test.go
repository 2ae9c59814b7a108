package cookiesession_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// The tests of this file hold the README's "Sessions over 4 KB" and the
// doc comments of Config.MaxCookies, SizeError, Session.Size and
// KeyRing.InspectChunks to what the other chunk tests leave unchecked.

// TestSizeFormula checks the README's arithmetic for one cookie on what a
// Manager writes: len(name) + ceil(4 × (45 + 45 + entries) / 3) bytes,
// each entry and flash counting 3 + len(key) + len(JSON value); with the
// default name, 2971 bytes of entries fit and 2972 do not.
func TestSizeFormula(t *testing.T) {
	const name = "__Host-session"
	formula := func(entries int) int { return len(name) + (4*(45+45+entries)+2)/3 }
	for _, tc := range []struct {
		what    string
		change  func(s *cookiesession.Session) error
		entries int
	}{
		{"one entry", func(s *cookiesession.Session) error { return s.Set("user", "alice") }, 3 + 4 + 7},
		{"entries and a flash", func(s *cookiesession.Session) error {
			return errors.Join(s.Set("user", "alice"), s.Set("n", 42), s.Flash("info", "hi"))
		}, (3 + 4 + 7) + (3 + 1 + 2) + (3 + 4 + 4)},
		{"2971 bytes of entries", func(s *cookiesession.Session) error {
			return s.Set("k", strings.Repeat("x", 2971-3-1-2))
		}, 2971},
	} {
		t.Run(tc.what, func(t *testing.T) {
			m := mustNew(t, freshRing(t), cookiesession.Config{})
			var size int
			resp := serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
				if err := tc.change(s); err != nil {
					t.Fatal(err)
				}
				size = s.Size()
			}))
			c := oneCookie(t, resp)
			if got, want := len(c.Name)+len(c.Value), formula(tc.entries); got != want || size != want {
				t.Errorf("cookie of %d bytes, Size %d; want %d by the README's formula", got, size, want)
			}
		})
	}
	m := mustNew(t, freshRing(t), cookiesession.Config{})
	err := m.Load(bareRequest()).Set("k", strings.Repeat("x", 2972-3-1-2))
	if !errors.Is(err, cookiesession.ErrTooLarge) {
		t.Errorf("2972 bytes of entries: got %v, want ErrTooLarge", err)
	}
}

// TestChunkAttributes checks that every chunk carries the session's
// attributes, persistent or not, and that the lines deleting chunks carry
// the Path, Domain and prefixes' requirements a browser matches them by.
func TestChunkAttributes(t *testing.T) {
	for _, cfg := range []cookiesession.Config{
		{},
		{Name: "app", Path: "/app", Domain: "example.com", SameSite: http.SameSiteStrictMode},
		{Name: "__Secure-embed", SameSite: http.SameSiteNoneMode, Partitioned: true},
		{Name: "dev", InsecureNoSecure: true},
	} {
		for _, persistent := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s persistent %v", cmpOr(cfg.Name, "default"), persistent), func(t *testing.T) {
				cfg.MaxCookies, cfg.MaxSize = 3, 3*cookiesession.MaxCookieSize
				m := mustNew(t, freshRing(t), cfg)
				h := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
					s.SetPersistent(persistent)
					var n int
					fmt.Sscan(r.URL.Query().Get("n"), &n)
					if err := s.Set("blob", strings.Repeat("b", n)); err != nil {
						t.Fatal(err)
					}
				})
				b := newBrowser()
				lines := b.get(t, h, "/?n=8000").Header.Values("Set-Cookie")
				if len(lines) != 3 {
					t.Fatalf("a session of 8000 bytes: %d Set-Cookie lines, want 3", len(lines))
				}
				_, attrs, _ := strings.Cut(lines[0], ";")
				for i, line := range lines {
					pair, a, _ := strings.Cut(line, ";")
					name := cmpOr(cfg.Name, "__Host-session")
					if i > 0 {
						name += fmt.Sprint(".", i)
					}
					if !strings.HasPrefix(pair, name+"=") || a != attrs {
						t.Errorf("cookie %d: %.30s…;%s, want %s with the attributes%s", i, pair, a, name, attrs)
					}
				}
				if got := strings.Contains(attrs, "Max-Age="); got != persistent {
					t.Errorf("attributes %q: Max-Age %v, want %v", attrs, got, persistent)
				}
				set := setCookies(t, &http.Response{Header: http.Header{"Set-Cookie": lines}})

				resp := b.get(t, h, "/?n=10")
				del := setCookies(t, resp)[1:]
				if len(del) != 2 {
					t.Fatalf("shrinking to one cookie: Set-Cookie %q, want the first and two deletions", resp.Header.Values("Set-Cookie"))
				}
				type id struct {
					Name, Path, Domain  string
					Secure, Partitioned bool
					HttpOnly            bool
					SameSite            http.SameSite
				}
				for i, d := range del {
					s := set[i+1]
					got := id{d.Name, d.Path, d.Domain, d.Secure, d.Partitioned, d.HttpOnly, d.SameSite}
					want := id{s.Name, s.Path, s.Domain, s.Secure, s.Partitioned, s.HttpOnly, s.SameSite}
					if got != want || d.MaxAge >= 0 {
						t.Errorf("deleting chunk %d: got %+v (MaxAge %d), want %+v and a deletion", i+1, got, d.MaxAge, want)
					}
				}
			})
		}
	}
}

// TestChunkedCommitPoints checks the Features' "one Set-Cookie per chunk,
// committed before the headers go out on every path" over a real server:
// each way of starting the response carries every chunk, once, on the
// final response and not on a 1xx before it.
func TestChunkedCommitPoints(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(w http.ResponseWriter)
	}{
		{"return", func(w http.ResponseWriter) {}},
		{"WriteHeader", func(w http.ResponseWriter) { w.WriteHeader(http.StatusCreated) }},
		{"Write", func(w http.ResponseWriter) { io.WriteString(w, "x") }},
		{"ResponseController.Flush", func(w http.ResponseWriter) { http.NewResponseController(w).Flush() }},
		{"io.Copy", func(w http.ResponseWriter) { io.Copy(w, strings.NewReader("x")) }},
		{"103 then Write", func(w http.ResponseWriter) {
			w.Header().Set("Link", "</app.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			io.WriteString(w, "x")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := chunked(t, nil)
			late := make(chan error, 1)
			srv := httptest.NewServer(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
				if err := s.Set("blob", strings.Repeat("b", 8000)); err != nil {
					t.Error(err)
				}
				tc.f(w)
				late <- s.Set("late", 1)
			}))
			defer srv.Close()
			var early []string
			trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
				early = append(early, h["Set-Cookie"]...)
				return nil
			}}
			req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), "GET", srv.URL, nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var names []string
			for _, c := range setCookies(t, resp) {
				names = append(names, c.Name)
			}
			if want := []string{"__Host-session", "__Host-session.1", "__Host-session.2"}; !slices.Equal(names, want) || len(early) > 0 {
				t.Errorf("Set-Cookie %q (on a 1xx: %d lines), want %q on the final response alone", names, len(early), want)
			}
			if err := <-late; tc.name != "return" && !errors.Is(err, cookiesession.ErrCommitted) {
				t.Errorf("Set after the headers went out: got %v, want ErrCommitted", err)
			}
		})
	}
}

// TestInspectChunksPastTheCount checks KeyRing.InspectChunks' "values past
// the number of cookies the session says it takes are not read": garbage
// after a whole set opens, and a set given fewer values than its count is
// missing chunks.
func TestInspectChunksPastTheCount(t *testing.T) {
	ring := freshRing(t)
	m := mustNew(t, ring, cookiesession.Config{MaxCookies: 4, MaxSize: 4 * cookiesession.MaxCookieSize})
	c := mintChunks(t, blobApp(m), 5000)
	const name = "__Host-session"
	values := []string{c[name], c[name+".1"]}
	if c[name+".1"] == "" || len(c) != 2 {
		t.Fatalf("minted %d cookies, want 2", len(c))
	}
	got, err := ring.InspectChunks(name, append(values, "garbage", strings.Repeat("A", 5000)), time.Now())
	if err != nil || got.Cookies != 2 || len(got.Values["blob"]) != 5002 {
		t.Fatalf("a whole set and two values past its count: got %+v, %v; want the blob in 2 cookies", got, err)
	}
	_, err = ring.InspectChunks(name, values[:1], time.Now())
	var ie *cookiesession.InvalidError
	if !errors.As(err, &ie) || ie.Reason != cookiesession.ReasonChunks {
		t.Errorf("the first of two chunks alone: got %v, want ReasonChunks", err)
	}
}

// TestChunksThatDoNotEndASession checks the chunk rules from the side of
// what does not end a session: the same chunk carried twice with the same
// value, and chunks past the session's count, left from a larger write,
// which are not read. The response to a request that uses the session
// deletes those past the count; a request that does not use it reads and
// deletes nothing. (What ends a session is TestChunkedHostile's.)
func TestChunksThatDoNotEndASession(t *testing.T) {
	hook := &hookLog{}
	m := chunked(t, hook)
	h := blobApp(m)
	untouched := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") }))
	const name = "__Host-session"
	one, two, three := mintChunks(t, h, 100), mintChunks(t, h, 5000), mintChunks(t, h, 8000)
	pair := func(set map[string]string, n string) string { return n + "=" + set[n] }
	for _, tc := range []struct {
		what    string
		cookies []string
		blob    int
		deleted []string
	}{
		{"one cookie, chunks 1 and 2 of a larger write", []string{pair(one, name), pair(three, name+".1"), pair(three, name+".2")}, 100, []string{name + ".1", name + ".2"}},
		{"two cookies, chunk 2 of a larger write", []string{pair(two, name), pair(two, name+".1"), pair(three, name+".2")}, 5000, []string{name + ".2"}},
		{"chunk 1 twice with the same value", []string{pair(two, name), pair(two, name+".1"), pair(two, name+".1")}, 5000, nil},
	} {
		t.Run(tc.what, func(t *testing.T) {
			hook.reset()
			resp := serve(h, strings.Join(tc.cookies, "; "))
			if body := readBody(t, resp); !strings.HasPrefix(body, fmt.Sprint(tc.blob, " ")) {
				t.Errorf("read %q, want the blob of %d bytes", body, tc.blob)
			}
			var deleted []string
			for _, c := range setCookies(t, resp) {
				if c.MaxAge >= 0 {
					t.Errorf("set %s, want only deletions", c.Name)
				}
				deleted = append(deleted, c.Name)
			}
			if !slices.Equal(deleted, tc.deleted) {
				t.Errorf("deleted %v, want %v", deleted, tc.deleted)
			}
			if calls := hook.calls(); len(calls) > 0 {
				t.Errorf("OnInvalid: got %v, want no call", calls)
			}
			if lines := serve(untouched, strings.Join(tc.cookies, "; ")).Header.Values("Set-Cookie"); len(lines) > 0 {
				t.Errorf("a request that does not use the session: Set-Cookie %q, want none", lines)
			}
		})
	}
}

// TestSizeErrorFigures checks SizeError's fields for a Manager's refusal,
// by Set and by Flash alike: Size is the bytes the session's cookies would
// have taken, names and values: for a Manager of one cookie, that cookie,
// by the README's formula; for one that splits sessions, what Session.Size
// gives after the same write under a Manager that allows more cookies.
// Limit is MaxSize or MaxCookies × MaxCookieSize, whichever is less.
func TestSizeErrorFigures(t *testing.T) {
	roomy := mustNew(t, freshRing(t), cookiesession.Config{MaxCookies: 8, MaxSize: 8 * cookiesession.MaxCookieSize})
	for _, tc := range []struct {
		name  string
		cfg   cookiesession.Config
		limit int
	}{
		{"one cookie", cookiesession.Config{}, 4096},
		{"one cookie, MaxSize 3000", cookiesession.Config{MaxSize: 3000}, 3000},
		{"three cookies, default MaxSize", cookiesession.Config{MaxCookies: 3}, 6144},
		{"three cookies, MaxSize 9000", cookiesession.Config{MaxCookies: 3, MaxSize: 9000}, 9000},
		{"two cookies, MaxSize 10000, a write that needs three", cookiesession.Config{MaxCookies: 2, MaxSize: 10000}, 8192},
	} {
		for _, key := range []string{"blob", "flash"} {
			t.Run(tc.name+", "+key, func(t *testing.T) {
				write := func(s *cookiesession.Session) error {
					big := strings.Repeat("b", tc.limit)
					if key == "flash" {
						return errors.Join(s.Set("user", "alice"), s.Flash(key, big))
					}
					return errors.Join(s.Set("user", "alice"), s.Set(key, big))
				}
				r := roomy.Load(bareRequest())
				if err := write(r); err != nil {
					t.Fatalf("under a Manager with room: %v", err)
				}
				want := r.Size()
				if tc.cfg.MaxCookies <= 1 {
					entries := (3 + 4 + 7) + (3 + len(key) + tc.limit + 2)
					want = len("__Host-session") + (4*(45+45+entries)+2)/3
				}
				err := write(mustNew(t, freshRing(t), tc.cfg).Load(bareRequest()))
				var se *cookiesession.SizeError
				if !errors.As(err, &se) || !errors.Is(err, cookiesession.ErrTooLarge) {
					t.Fatalf("got %v, want a *SizeError matching ErrTooLarge", err)
				}
				if se.Size != want || se.Limit != tc.limit || len(se.Largest) == 0 || !strings.HasPrefix(se.Largest[0], key+" ") {
					t.Errorf("SizeError: got Size %d, Limit %d, Largest %q; want %d, %d, %s first", se.Size, se.Limit, se.Largest, want, tc.limit, key)
				}
			})
		}
	}
}
