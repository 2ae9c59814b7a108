package cookiesession_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// TestHijackCommits checks that a hijacked connection ends the session's
// chance to be written: a later Set is refused, not silently dropped.
func TestHijackCommits(t *testing.T) {
	m := mustNew(t, freshRing(t), cookiesession.Config{})
	after := make(chan error, 1)
	srv := httptest.NewServer(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			after <- err
			return
		}
		defer conn.Close()
		after <- s.Set("a", 1)
		conn.Write([]byte("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"))
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := <-after; !errors.Is(err, cookiesession.ErrCommitted) {
		t.Errorf("Set after Hijack: got %v, want ErrCommitted", err)
	}
	if got := resp.Header.Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("got Set-Cookie %q, want none", got)
	}
}

// TestLifetimeReductionShortensSessions checks that a cookie sealed under a
// longer Lifetime ends when the current, shorter one says so.
func TestLifetimeReductionShortensSessions(t *testing.T) {
	inBubble(t, time.Hour, func(t *testing.T) {
		ring := freshRing(t)
		long := mustNew(t, ring, cookiesession.Config{Lifetime: 720 * time.Hour})
		short := mustNew(t, ring, cookiesession.Config{Lifetime: time.Hour})
		c := mintWith(t, long, setA)
		issued := time.Now()
		s := short.Load(cookieRequest(c))
		if s.IsNew() {
			t.Fatal("the cookie did not open under the shorter lifetime")
		}
		if got, want := s.ExpiresAt(), issued.Add(time.Hour); !got.Equal(want) {
			t.Errorf("ExpiresAt: got %v, want %v", got, want)
		}
		time.Sleep(time.Hour)
		var hook hookLog
		short = mustNew(t, ring, cookiesession.Config{Lifetime: time.Hour, OnInvalid: hook.record})
		if !short.Load(cookieRequest(c)).IsNew() {
			t.Error("the cookie still opens after the shorter lifetime has passed")
		}
		if errs := hook.calls(); len(errs) != 1 || !errors.Is(errs[0], cookiesession.ErrExpired) {
			t.Errorf("OnInvalid: got %v, want one ErrExpired", errs)
		}
	})
}

// TestDuplicateCookiesBounded checks that a request repeating a cookie of
// the session's name is not decrypted once per copy, and that at most a few
// distinct candidates are tried.
func TestDuplicateCookiesBounded(t *testing.T) {
	ring := freshRing(t)
	m := mustNew(t, ring, cookiesession.Config{})
	c := mintWith(t, m, setA)
	opens := ring.Stats()[0].Opens
	line := strings.Repeat("__Host-session="+c+"; ", 500)
	if s := m.Load(requestWithCookies(line)); s.IsNew() {
		t.Fatal("a repeated valid cookie did not open")
	}
	if got := ring.Stats()[0].Opens - opens; got != 1 {
		t.Errorf("opens for 500 copies of one cookie: got %d, want 1", got)
	}
	var garbage []string
	for i := range 8 {
		garbage = append(garbage, "__Host-session=garbage"+strings.Repeat("x", i))
	}
	line = strings.Join(append(garbage, "__Host-session="+c), "; ")
	if s := m.Load(requestWithCookies(line)); !s.IsNew() {
		t.Error("a ninth candidate was tried; want at most 8")
	}
}

// cookieRequest returns a request carrying value as the session cookie.
func cookieRequest(value string) *http.Request {
	return requestWithCookies("__Host-session=" + value)
}

// requestWithCookies returns a request with line as its Cookie header.
func requestWithCookies(line string) *http.Request {
	r := httptest.NewRequest("GET", "https://example.com/", nil)
	r.Header.Set("Cookie", line)
	return r
}
