package cookiesession_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cookiesession/cookiesession"
)

// browser carries cookies from one response to the next request, the way
// a client does, but keeps sending a cookie after its Max-Age has passed,
// so the tests see what the server itself does with stale cookies.
type browser struct {
	jar map[string]string
}

func newBrowser() *browser { return &browser{jar: map[string]string{}} }

// do sends a request through h and keeps the cookies it sets.
func (b *browser) do(tb testing.TB, h http.Handler) *http.Response {
	tb.Helper()
	var cookies []string
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for n := range b.jar {
			if !yield(n) {
				return
			}
		}
	}) {
		cookies = append(cookies, n+"="+b.jar[n])
	}
	resp := serve(h, cookies...)
	b.keep(tb, resp)
	return resp
}

// keep stores the cookies resp sets, and drops those it deletes.
func (b *browser) keep(tb testing.TB, resp *http.Response) {
	tb.Helper()
	for _, c := range setCookies(tb, resp) {
		if c.MaxAge < 0 {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = c.Value
		}
	}
}

// probe is a handler whose body can be swapped between requests.
type probe struct {
	f sessionFunc
}

func (p *probe) handler(m *cookiesession.Manager) http.Handler {
	return wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { p.f(w, r, s) })
}

func TestFlags(t *testing.T) {
	type flags struct{ isNew, changed, populated bool }
	tests := []struct {
		name    string
		start   func(s *cookiesession.Session) error // makes the incoming cookie; nil for none
		f       func(s *cookiesession.Session)
		want    flags
		wantSet string // "none", "set" or "delete"
	}{
		{"new, untouched", nil, func(s *cookiesession.Session) {}, flags{true, false, false}, "none"},
		{"new, set", nil, func(s *cookiesession.Session) { s.Set("a", 1) }, flags{true, true, true}, "set"},
		{"new, set then deleted", nil, func(s *cookiesession.Session) { s.Set("a", 1); s.Delete("a") }, flags{true, true, false}, "none"},
		{"new, flash", nil, func(s *cookiesession.Session) { s.Flash("info", "hi") }, flags{true, true, true}, "set"},
		{"new, regenerated", nil, func(s *cookiesession.Session) { s.Regenerate() }, flags{true, true, false}, "none"},
		{"new, touched", nil, func(s *cookiesession.Session) { s.Touch() }, flags{true, false, false}, "none"},
		{"existing, read", setA, func(s *cookiesession.Session) { s.Has("a") }, flags{false, false, true}, "none"},
		{"existing, same value", setA, func(s *cookiesession.Session) { s.Set("a", 1) }, flags{false, false, true}, "none"},
		{"existing, new value", setA, func(s *cookiesession.Session) { s.Set("a", 2) }, flags{false, true, true}, "set"},
		{"existing, delete missing", setA, func(s *cookiesession.Session) { s.Delete("b") }, flags{false, false, true}, "none"},
		{"existing, delete last", setA, func(s *cookiesession.Session) { s.Delete("a") }, flags{false, true, false}, "delete"},
		{"existing, clear", setA, func(s *cookiesession.Session) { s.Clear() }, flags{false, true, false}, "delete"},
		{"existing, touched", setA, func(s *cookiesession.Session) { s.Touch() }, flags{false, false, true}, "set"},
		{"existing, regenerated", setA, func(s *cookiesession.Session) { s.Regenerate() }, flags{false, true, true}, "set"},
		{"existing, not persistent", setA, func(s *cookiesession.Session) { s.SetPersistent(false) }, flags{false, true, true}, "set"},
		{"existing, persistent again", setA, func(s *cookiesession.Session) { s.SetPersistent(true) }, flags{false, false, true}, "none"},
		{"new, destroyed: no cookie came, none to delete", nil, func(s *cookiesession.Session) { s.Destroy() }, flags{true, true, false}, "none"},
		{"existing, destroyed", setA, func(s *cookiesession.Session) { s.Destroy() }, flags{true, true, false}, "delete"},
		{"existing, destroyed then flash", setA, func(s *cookiesession.Session) { s.Destroy(); s.Flash("info", "bye") }, flags{true, true, true}, "set"},
		{"flash only, read", flashHi, func(s *cookiesession.Session) { s.Flashes("info") }, flags{false, true, false}, "delete"},
		{"flash only, other kind read", flashHi, func(s *cookiesession.Session) { s.Flashes("error") }, flags{false, false, true}, "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustNew(t, freshRing(t), cookiesession.Config{})
			var cookies []string
			if tc.start != nil {
				cookies = []string{"__Host-session=" + mintWith(t, m, tc.start)}
			}
			var got flags
			resp := serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
				tc.f(s)
				got = flags{s.IsNew(), s.IsChanged(), s.IsPopulated()}
			}), cookies...)
			if got != tc.want {
				t.Errorf("IsNew, IsChanged, IsPopulated: got %+v, want %+v", got, tc.want)
			}
			cs := setCookies(t, resp)
			gotSet := "none"
			if len(cs) == 1 && cs[0].MaxAge < 0 {
				gotSet = "delete"
			} else if len(cs) == 1 && cs[0].Value != "" {
				gotSet = "set"
			} else if len(cs) > 1 {
				gotSet = fmt.Sprintf("%d cookies", len(cs))
			}
			if gotSet != tc.wantSet {
				t.Errorf("response: got %s (%q), want %s", gotSet, resp.Header.Values("Set-Cookie"), tc.wantSet)
			}
		})
	}
}

func setA(s *cookiesession.Session) error    { return s.Set("a", 1) }
func flashHi(s *cookiesession.Session) error { return s.Flash("info", "hi") }

func TestValues(t *testing.T) {
	m := mustNew(t, freshRing(t), cookiesession.Config{})
	b := newBrowser()
	p := &probe{}
	h := p.handler(m)
	p.f = func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		for _, k := range []string{"zeta", "alpha", "Mid", "beta", "é", "a b"} {
			if err := s.Set(k, map[string]int{k: len(k)}); err != nil {
				t.Fatalf("Set(%q): %v", k, err)
			}
		}
	}
	b.do(t, h)
	p.f = func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		want := []string{"Mid", "a b", "alpha", "beta", "zeta", "é"}
		if got := s.Keys(); !slices.Equal(got, want) {
			t.Errorf("Keys: got %q, want %q", got, want)
		}
		var v map[string]int
		if ok, err := s.Get("é", &v); !ok || err != nil || v["é"] != 2 {
			t.Errorf("Get(é): got (%v, %v, %v), want (true, nil, map[é:2])", ok, err, v)
		}
		if ok, err := s.Get("missing", &v); ok || err != nil {
			t.Errorf("Get(missing): got (%v, %v), want (false, nil)", ok, err)
		}
		var wrong string
		if ok, err := s.Get("alpha", &wrong); !ok || err == nil {
			t.Errorf("Get into the wrong type: got (%v, %v), want (true, error)", ok, err)
		}
		if !s.Has("beta") || s.Has("gamma") {
			t.Errorf("Has(beta), Has(gamma): got %v, %v, want true, false", s.Has("beta"), s.Has("gamma"))
		}
		s.Delete("beta")
		if s.Has("beta") {
			t.Errorf("Has(beta) after Delete: got true, want false")
		}
	}
	b.do(t, h)
	p.f = func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		if got, want := s.Keys(), []string{"Mid", "a b", "alpha", "zeta", "é"}; !slices.Equal(got, want) {
			t.Errorf("Keys after Delete: got %q, want %q", got, want)
		}
		s.Flash("info", "kept")
		s.Clear()
		if got := s.Keys(); len(got) != 0 {
			t.Errorf("Keys after Clear: got %q, want none", got)
		}
	}
	b.do(t, h)
	p.f = func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		if got := s.Keys(); len(got) != 0 {
			t.Errorf("Keys after Clear: got %q, want none", got)
		}
		if got := s.Flashes("info"); !slices.Equal(got, []string{"kept"}) {
			t.Errorf("Clear keeps flashes: got %q, want [kept]", got)
		}
	}
	b.do(t, h)
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		value  any
		target error // nil: any error but ErrKey and ErrTooLarge
	}{
		{"empty key", "", 1, cookiesession.ErrKey},
		{"key of 256 bytes", strings.Repeat("k", 256), 1, cookiesession.ErrKey},
		{"key not UTF-8", "k\xff", 1, cookiesession.ErrKey},
		{"value not JSON", "k", make(chan int), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustNew(t, freshRing(t), cookiesession.Config{})
			resp := serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
				ops := map[string]func() error{
					"Set":   func() error { return s.Set(tc.key, tc.value) },
					"Flash": func() error { return s.Flash(tc.key, "m") },
				}
				for _, op := range []string{"Set", "Flash"} {
					if op == "Flash" && tc.target == nil {
						continue // a flash message is always a string
					}
					switch err := ops[op](); {
					case err == nil:
						t.Errorf("%s: got nil, want an error", op)
					case tc.target != nil && !errors.Is(err, tc.target):
						t.Errorf("%s: got %v, want %v", op, err, tc.target)
					case tc.target == nil && (errors.Is(err, cookiesession.ErrKey) || errors.Is(err, cookiesession.ErrTooLarge)):
						t.Errorf("%s: got %v, want a marshalling error", op, err)
					}
				}
				if s.IsChanged() || s.IsPopulated() {
					t.Errorf("after refused writes: got IsChanged %v, IsPopulated %v, want false, false", s.IsChanged(), s.IsPopulated())
				}
			}))
			noCookie(t, resp)
		})
	}
	t.Run("key of 255 bytes", func(t *testing.T) {
		m := mustNew(t, freshRing(t), cookiesession.Config{})
		serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
			if err := s.Set(strings.Repeat("k", 255), 1); err != nil {
				t.Errorf("Set: got %v, want nil", err)
			}
		}))
	})
}

func TestFlashes(t *testing.T) {
	m := mustNew(t, freshRing(t), cookiesession.Config{})
	b := newBrowser()
	p := &probe{}
	h := p.handler(m)
	p.f = func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		s.Flash("info", "one")
		s.Flash("error", "bad")
		s.Flash("info", "two")
	}
	b.do(t, h)
	p.f = func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		if got, want := s.Flashes("info"), []string{"one", "two"}; !slices.Equal(got, want) {
			t.Errorf("Flashes(info): got %q, want %q", got, want)
		}
		if got := s.Flashes("info"); len(got) != 0 {
			t.Errorf("Flashes(info) again: got %q, want none", got)
		}
	}
	b.do(t, h)
	p.f = func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		if got := s.Flashes("info"); len(got) != 0 {
			t.Errorf("Flashes(info) on the next request: got %q, want none", got)
		}
		if got, want := s.Flashes("error"), []string{"bad"}; !slices.Equal(got, want) {
			t.Errorf("Flashes(error): got %q, want %q", got, want)
		}
	}
	if resp := b.do(t, h); oneCookie(t, resp).MaxAge >= 0 {
		t.Errorf("last flash read: got Set-Cookie %q, want the cookie deleted", resp.Header.Get("Set-Cookie"))
	}
}

// TestChangeAfterCommit checks what happens to changes once the response's
// headers are out: Set and Flash return ErrCommitted, Delete and Destroy
// panic, and the response carries what was there before.
func TestChangeAfterCommit(t *testing.T) {
	commits := []struct {
		name string
		f    func(w http.ResponseWriter)
	}{
		{"Write", func(w http.ResponseWriter) { w.Write([]byte("body")) }},
		{"WriteHeader", func(w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) }},
		{"Flush", func(w http.ResponseWriter) { http.NewResponseController(w).Flush() }},
		{"ReadFrom", func(w http.ResponseWriter) { io.Copy(w, struct{ io.Reader }{strings.NewReader("body")}) }},
	}
	changes := []struct {
		name  string
		f     func(s *cookiesession.Session) error
		panic bool
	}{
		{"Set", func(s *cookiesession.Session) error { return s.Set("a", 3) }, false},
		{"Flash", func(s *cookiesession.Session) error { return s.Flash("info", "late") }, false},
		{"Delete", func(s *cookiesession.Session) error { s.Delete("a"); return nil }, true},
		{"Destroy", func(s *cookiesession.Session) error { s.Destroy(); return nil }, true},
		{"Regenerate", func(s *cookiesession.Session) error { s.Regenerate(); return nil }, true},
		{"Clear", func(s *cookiesession.Session) error { s.Clear(); return nil }, true},
		{"SetPersistent", func(s *cookiesession.Session) error { s.SetPersistent(false); return nil }, true},
		{"Touch", func(s *cookiesession.Session) error { s.Touch(); return nil }, true},
		{"Delete of a missing key", func(s *cookiesession.Session) error { s.Delete("missing"); return nil }, true},
		{"Flashes with none pending", func(s *cookiesession.Session) error { s.Flashes("none"); return nil }, true},
	}
	// state is what a refused change must leave as it was.
	type state struct {
		id         string
		issued     int64
		keys       string
		persistent bool
		size       int
	}
	look := func(s *cookiesession.Session) state {
		return state{s.ID(), s.IssuedAt().UnixNano(), strings.Join(s.Keys(), ","), s.Persistent(), s.Size()}
	}
	for _, cm := range commits {
		for _, ch := range changes {
			t.Run(cm.name+"/"+ch.name, func(t *testing.T) {
				m := mustNew(t, freshRing(t), cookiesession.Config{})
				start := mintWith(t, m, setA)
				var err error
				var panicked any
				var before, after state
				resp := serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
					if err := s.Set("a", 2); err != nil {
						t.Fatalf("Set before commit: %v", err)
					}
					cm.f(w)
					before = look(s)
					func() {
						defer func() { panicked = recover() }()
						err = ch.f(s)
					}()
					after = look(s)
				}), "__Host-session="+start)
				if after != before && !ch.panic {
					t.Errorf("session after the refused change: got %+v, want it as before, %+v", after, before)
				}
				if ch.panic {
					if panicked == nil {
						t.Errorf("got no panic, want one")
					}
				} else {
					if panicked != nil {
						t.Errorf("got panic %v, want none", panicked)
					}
					if !errors.Is(err, cookiesession.ErrCommitted) {
						t.Errorf("got %v, want ErrCommitted", err)
					}
				}
				// The response carries the change made before the commit only.
				c := oneCookie(t, resp)
				serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
					var a int
					if _, err := s.Get("a", &a); err != nil || a != 2 {
						t.Errorf("next request: got a=%d (%v), want 2", a, err)
					}
					if f := s.Flashes("info"); len(f) != 0 {
						t.Errorf("next request: got flashes %q, want none", f)
					}
				}), "__Host-session="+c.Value)
			})
		}
	}
}

// TestSessionConcurrentUse uses one request's session from 8 goroutines at
// once; run with -race.
func TestSessionConcurrentUse(t *testing.T) {
	const workers, rounds, flashes = 8, 25, 5
	m := mustNew(t, freshRing(t), cookiesession.Config{})
	b := newBrowser()
	p := &probe{}
	h := p.handler(m)
	p.f = func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		var wg sync.WaitGroup
		for g := range workers {
			wg.Go(func() {
				key := fmt.Sprintf("g%d", g)
				for i := range rounds {
					if err := s.Set(key, i); err != nil {
						t.Errorf("Set(%s): %v", key, err)
					}
					var got int
					if ok, err := s.Get(key, &got); !ok || err != nil || got != i {
						t.Errorf("Get(%s): got (%v, %v, %d), want (true, nil, %d)", key, ok, err, got, i)
					}
					if i < flashes {
						if err := s.Flash("f", fmt.Sprintf("%s-%d", key, i)); err != nil {
							t.Errorf("Flash: %v", err)
						}
					}
					s.Has("g0")
					s.Keys()
					s.Size()
					s.IsChanged()
				}
			})
		}
		wg.Wait()
	}
	b.do(t, h)
	p.f = func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		if got := len(s.Keys()); got != workers {
			t.Errorf("Keys: got %d, want %d", got, workers)
		}
		for g := range workers {
			var got int
			if ok, err := s.Get(fmt.Sprintf("g%d", g), &got); !ok || err != nil || got != rounds-1 {
				t.Errorf("g%d: got (%v, %v, %d), want (true, nil, %d)", g, ok, err, got, rounds-1)
			}
		}
		fs := s.Flashes("f")
		if len(fs) != workers*flashes {
			t.Fatalf("flashes: got %d, want %d", len(fs), workers*flashes)
		}
		next := map[string]int{}
		for _, f := range fs {
			key, n, _ := strings.Cut(f, "-")
			if want := fmt.Sprint(next[key]); n != want {
				t.Errorf("flash %q: got it out of order, want %s-%s", f, key, want)
			}
			next[key]++
		}
	}
	b.do(t, h)
}

// TestOnInvalidUsesSession calls the session from inside OnInvalid, for
// example to leave a "please log in again" flash.
func TestOnInvalidUsesSession(t *testing.T) {
	var m *cookiesession.Manager
	m = mustNew(t, freshRing(t), cookiesession.Config{OnInvalid: func(r *http.Request, err error) {
		m.Get(r).Flash("error", "session expired")
	}})
	done := make(chan *http.Response, 1)
	go func() {
		done <- serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
			s.IsNew()
		}), "__Host-session=garbage")
	}()
	select {
	case resp := <-done:
		oneCookie(t, resp)
	case <-time.After(5 * time.Second):
		t.Fatalf("a session method called from OnInvalid: got a deadlock, want it to return")
	}
}

// TestRequestContextSession checks that Get finds the session through
// contexts derived from the request's, as routers make them.
func TestRequestContextSession(t *testing.T) {
	m := mustNew(t, freshRing(t), cookiesession.Config{})
	var a, b *cookiesession.Session
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a = m.Get(r)
		b = m.Get(r.Clone(r.Context()))
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "https://example.com/", nil))
	if a == nil || a != b {
		t.Fatalf("Get on a cloned request: got %p, want %p", b, a)
	}
}

// clockTest drives one manager through a timeline inside a synctest bubble:
// each step waits until its time, then sends a request with the browser's
// cookies.
type clockStep struct {
	at      time.Duration // since the epoch
	f       sessionFunc   // nil: read the value "a"
	wantNew bool          // the session is new (the cookie was refused)
	wantSet bool          // the response sets a cookie
	// untouched makes the handler leave the session alone.
	untouched bool
}

func runTimeline(t *testing.T, m *cookiesession.Manager, hook *hookLog, steps []clockStep) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		b := newBrowser()
		p := &probe{}
		h := p.handler(m)
		start := time.Now()
		for i, st := range steps {
			time.Sleep(start.Add(st.at).Sub(time.Now()))
			var isNew bool
			p.f = func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
				if st.untouched {
					isNew = st.wantNew
					return
				}
				isNew = s.IsNew()
				if st.f != nil {
					st.f(w, r, s)
				} else if !s.IsNew() && !s.Has("a") {
					t.Errorf("step %d at %v: got a session without a, want a in it", i, st.at)
				}
			}
			calls := len(hook.calls())
			resp := b.do(t, h)
			if isNew != st.wantNew {
				t.Errorf("step %d at %v: IsNew got %v, want %v", i, st.at, isNew, st.wantNew)
			}
			if got := len(resp.Header.Values("Set-Cookie")) > 0; got != st.wantSet {
				t.Errorf("step %d at %v: got Set-Cookie %q, want a cookie: %v", i, st.at, resp.Header.Values("Set-Cookie"), st.wantSet)
			}
			if errs := hook.calls()[calls:]; st.wantNew && i > 0 && len(b.jar) > 0 && len(errs) != 1 {
				t.Errorf("step %d at %v: got OnInvalid calls %v, want 1", i, st.at, errs)
			}
			if errs := hook.calls()[calls:]; !st.wantNew && len(errs) != 0 {
				t.Errorf("step %d at %v: got OnInvalid calls %v, want none", i, st.at, errs)
			}
		}
	})
}

func setAFunc(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Set("a", 1) }

func TestTimeouts(t *testing.T) {
	const min = time.Minute
	tests := []struct {
		name  string
		cfg   cookiesession.Config
		steps []clockStep
	}{
		{
			name: "absolute lifetime",
			cfg:  cookiesession.Config{Lifetime: time.Hour},
			steps: []clockStep{
				{at: 0, f: setAFunc, wantNew: true, wantSet: true},
				{at: 30 * min},
				{at: time.Hour - time.Second},
				{at: time.Hour, wantNew: true},
			},
		},
		{
			name: "absolute lifetime, long after",
			cfg:  cookiesession.Config{Lifetime: time.Hour},
			steps: []clockStep{
				{at: 0, f: setAFunc, wantNew: true, wantSet: true},
				{at: 48 * time.Hour, wantNew: true},
			},
		},
		{
			name: "Regenerate restarts the lifetime",
			cfg:  cookiesession.Config{Lifetime: time.Hour},
			steps: []clockStep{
				{at: 0, f: setAFunc, wantNew: true, wantSet: true},
				{at: 50 * min, f: func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Regenerate() }, wantSet: true},
				{at: 70 * min},
				{at: 110*min - time.Second},
				{at: 110 * min, wantNew: true},
			},
		},
		{
			name: "renewals do not extend the lifetime",
			cfg:  cookiesession.Config{Lifetime: time.Hour, IdleTimeout: 20 * min},
			steps: []clockStep{
				{at: 0, f: setAFunc, wantNew: true, wantSet: true},
				{at: 10 * min, wantSet: true},
				{at: 20 * min, wantSet: true},
				{at: 30 * min, wantSet: true},
				{at: 40 * min, wantSet: true},
				{at: 50 * min, wantSet: true},
				{at: 55*min - time.Second},
				{at: 59 * min, wantSet: true},
				{at: 60 * min, wantNew: true},
			},
		},
		{
			name: "Touch does not extend the lifetime",
			cfg:  cookiesession.Config{Lifetime: time.Hour},
			steps: []clockStep{
				{at: 0, f: setAFunc, wantNew: true, wantSet: true},
				{at: 59 * min, f: func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Touch() }, wantSet: true},
				{at: 60 * min, wantNew: true},
			},
		},
		{
			name: "changes do not extend the lifetime",
			cfg:  cookiesession.Config{Lifetime: time.Hour},
			steps: []clockStep{
				{at: 0, f: setAFunc, wantNew: true, wantSet: true},
				{at: 59 * min, f: func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Set("a", 2) }, wantSet: true},
				{at: 60 * min, wantNew: true},
			},
		},
		{
			name: "idle timeout",
			cfg:  cookiesession.Config{IdleTimeout: 30 * min},
			steps: []clockStep{
				{at: 0, f: setAFunc, wantNew: true, wantSet: true},
				{at: 30 * min, wantNew: true},
			},
		},
		{
			name: "idle timeout, just before",
			cfg:  cookiesession.Config{IdleTimeout: 30 * min},
			steps: []clockStep{
				{at: 0, f: setAFunc, wantNew: true, wantSet: true},
				{at: 30*min - time.Second, wantSet: true},
			},
		},
		{
			name: "idle timeout, used in time",
			cfg:  cookiesession.Config{IdleTimeout: 30 * min},
			steps: []clockStep{
				{at: 0, f: setAFunc, wantNew: true, wantSet: true},
				{at: 30*min - time.Second, wantSet: true},
				{at: 60*min - 2*time.Second, wantSet: true},
				{at: 90*min - 2*time.Second, wantNew: true},
			},
		},
		{
			name: "idle timeout, untouched requests do not renew",
			cfg:  cookiesession.Config{IdleTimeout: 30 * min},
			steps: []clockStep{
				{at: 0, f: setAFunc, wantNew: true, wantSet: true},
				{at: 20 * min, untouched: true},
				{at: 30 * min, wantNew: true},
			},
		},
		{
			name: "throttled renewal",
			cfg:  cookiesession.Config{IdleTimeout: time.Hour},
			steps: []clockStep{
				{at: 0, f: setAFunc, wantNew: true, wantSet: true},
				{at: 1 * min},
				{at: 5 * min},
				{at: 15*min - time.Second},
				{at: 15 * min, wantSet: true},
				{at: 20 * min},
				{at: 30*min - time.Second},
				{at: 30 * min, wantSet: true},
				{at: 90 * min, wantNew: true},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hook hookLog
			tc.cfg.OnInvalid = hook.record
			runTimeline(t, mustNew(t, freshRing(t), tc.cfg), &hook, tc.steps)
			for _, err := range hook.calls() {
				if !errors.Is(err, cookiesession.ErrExpired) {
					t.Errorf("OnInvalid: got %v, want ErrExpired", err)
				}
			}
		})
	}
}

// TestActiveUserNeverIdlesOut makes a request every 20 minutes against a
// one-hour idle timeout: the session lasts until its absolute expiry.
func TestActiveUserNeverIdlesOut(t *testing.T) {
	var hook hookLog
	m := mustNew(t, freshRing(t), cookiesession.Config{IdleTimeout: time.Hour, OnInvalid: hook.record})
	steps := []clockStep{{at: 0, f: setAFunc, wantNew: true, wantSet: true}}
	for at := 20 * time.Minute; at < 24*time.Hour; at += 20 * time.Minute {
		steps = append(steps, clockStep{at: at, wantSet: true})
	}
	steps = append(steps, clockStep{at: 24 * time.Hour, wantNew: true})
	runTimeline(t, m, &hook, steps)
	if errs := hook.calls(); len(errs) != 1 || !errors.Is(errs[0], cookiesession.ErrExpired) {
		t.Errorf("OnInvalid: got %v, want one ErrExpired at the absolute expiry", errs)
	}
}

// TestRenewalMaxAge checks the Max-Age of re-issued cookies: the time left
// before the idle timeout or the absolute expiry, whichever is first.
func TestRenewalMaxAge(t *testing.T) {
	m := mustNew(t, freshRing(t), cookiesession.Config{Lifetime: time.Hour, IdleTimeout: 40 * time.Minute})
	synctest.Test(t, func(t *testing.T) {
		b := newBrowser()
		p := &probe{f: setAFunc}
		h := p.handler(m)
		tests := []struct {
			at     time.Duration
			maxAge int
		}{
			{0, 40 * 60},
			{10 * time.Minute, 40 * 60},
			{30 * time.Minute, 30 * 60},
			{50 * time.Minute, 10 * 60},
		}
		for _, tc := range tests {
			time.Sleep(epoch.Add(tc.at).Sub(time.Now()))
			p.f = func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
				if tc.at == 0 {
					s.Set("a", 1)
				} else if !s.Has("a") {
					t.Errorf("at %v: got a session without a, want a", tc.at)
				}
			}
			c := oneCookie(t, b.do(t, h))
			if c.MaxAge != tc.maxAge || !c.Expires.Equal(epoch.Add(tc.at).Add(time.Duration(tc.maxAge)*time.Second)) {
				t.Errorf("at %v: got Max-Age %d, Expires %v, want %d, now+%ds", tc.at, c.MaxAge, c.Expires, tc.maxAge, tc.maxAge)
			}
		}
	})
}

func TestClockSkew(t *testing.T) {
	tests := []struct {
		name    string
		skew    time.Duration
		issued  time.Duration // ahead of the reader's clock
		wantNew bool
	}{
		{"default, 30s ahead", 0, 30 * time.Second, false},
		{"default, 60s ahead", 0, 60 * time.Second, false},
		{"default, 61s ahead", 0, 61 * time.Second, true},
		{"default, 1h ahead", 0, time.Hour, true},
		{"5m, 4m ahead", 5 * time.Minute, 4 * time.Minute, false},
		{"5m, 6m ahead", 5 * time.Minute, 6 * time.Minute, true},
		{"none, same second", -1, 0, false},
		{"none, 1s ahead", -1, time.Second, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hook hookLog
			m := mustNew(t, freshRing(t), cookiesession.Config{ClockSkew: tc.skew, OnInvalid: hook.record})
			v := mintAt(t, m, tc.issued)
			inBubble(t, 0, func(t *testing.T) {
				var isNew bool
				resp := serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
					isNew = s.IsNew()
					if !isNew {
						if got, want := s.IssuedAt(), epoch.Add(tc.issued); !got.Equal(want) {
							t.Errorf("IssuedAt: got %v, want %v", got, want)
						}
						s.Set("b", 2)
					}
				}), "__Host-session="+v)
				if isNew != tc.wantNew {
					t.Fatalf("IsNew: got %v, want %v", isNew, tc.wantNew)
				}
				if isNew {
					return
				}
				// A cookie re-issued from an accepted one opens again.
				serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
					if s.IsNew() || !s.Has("a") && !s.Has("user") {
						t.Errorf("re-issued cookie: got IsNew %v, keys %q, want the session", s.IsNew(), s.Keys())
					}
				}), "__Host-session="+oneCookie(t, resp).Value)
			})
			errs := hook.calls()
			if !tc.wantNew {
				if len(errs) != 0 {
					t.Errorf("OnInvalid: got %v, want no call", errs)
				}
				return
			}
			var ie *cookiesession.InvalidError
			if len(errs) != 1 || !errors.As(errs[0], &ie) || ie.Reason != cookiesession.ReasonFuture {
				t.Errorf("OnInvalid: got %v, want one InvalidError with ReasonFuture", errs)
			}
		})
	}
}

// TestKeyRotationKeepsTimes re-seals a cookie from the old key under the
// new primary an hour later, keeping its issued-at and expiry.
func TestKeyRotationKeepsTimes(t *testing.T) {
	oldKey, newKey := cookiesession.GenerateKey(), cookiesession.GenerateKey()
	oldRing, newRing := ringOf(t, oldKey), ringOf(t, newKey, oldKey)
	before := mustNew(t, oldRing, cookiesession.Config{})
	after := mustNew(t, newRing, cookiesession.Config{})
	synctest.Test(t, func(t *testing.T) {
		b := newBrowser()
		b.do(t, wrap(before, setAFunc))
		time.Sleep(time.Hour)
		type seen struct {
			keyID           string
			issued, expires int64
			id              string
		}
		look := func(s *cookiesession.Session) seen {
			return seen{s.KeyID(), s.IssuedAt().Unix(), s.ExpiresAt().Unix(), s.ID()}
		}
		var first, second seen
		resp := b.do(t, wrap(after, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { first = look(s) }))
		c := oneCookie(t, resp)
		if c.MaxAge != 23*3600 {
			t.Errorf("re-sealed cookie: got Max-Age %d, want %d", c.MaxAge, 23*3600)
		}
		time.Sleep(time.Minute)
		resp = b.do(t, wrap(after, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { second = look(s) }))
		noCookie(t, resp)
		want := seen{oldRing.PrimaryID(), epoch.Unix(), epoch.Add(24 * time.Hour).Unix(), first.id}
		if first != want {
			t.Errorf("first request after rotation: got %+v, want %+v", first, want)
		}
		want.keyID = newRing.PrimaryID()
		if second != want {
			t.Errorf("second request after rotation: got %+v, want %+v", second, want)
		}
		st := newRing.Stats()
		if len(st) != 2 || st[0].ID != newRing.PrimaryID() || st[0].Opens != 1 || st[1].ID != oldRing.PrimaryID() || st[1].Opens != 1 {
			t.Errorf("Stats: got %+v, want one open for each key", st)
		}
		if !st[1].LastUsed.Equal(epoch.Add(time.Hour)) || !st[0].LastUsed.Equal(epoch.Add(time.Hour+time.Minute)) {
			t.Errorf("Stats LastUsed: got %v and %v, want %v and %v", st[0].LastUsed, st[1].LastUsed, epoch.Add(time.Hour+time.Minute), epoch.Add(time.Hour))
		}
	})
}

// TestDuplicateCookies sends two cookies with the session's name, as a
// browser does when it holds one for two paths or domains: the valid one
// issued last wins, and OnInvalid is called only when none is valid.
func TestDuplicateCookies(t *testing.T) {
	const min = time.Minute
	ring := freshRing(t)
	var hook hookLog
	m := mustNew(t, ring, cookiesession.Config{Name: "s", IdleTimeout: time.Hour, OnInvalid: hook.record})
	other := mustNew(t, freshRing(t), cookiesession.Config{Name: "s"})
	user := func(name string, at time.Duration) string {
		var v string
		inBubble(t, at, func(t *testing.T) {
			v = mintWith(t, m, func(s *cookiesession.Session) error { return s.Set("user", name) })
		})
		return v
	}
	// The requests are made at 70 minutes.
	older, newer := user("older", 30*min), user("newer", 40*min)
	// Issued before newer, but re-issued (renewed) after it.
	var renewed string
	inBubble(t, 30*min, func(t *testing.T) {
		b := newBrowser()
		b.do(t, wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Set("user", "renewed") }))
		time.Sleep(20 * min)
		b.do(t, wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Has("user") }))
		renewed = b.jar["s"]
	})
	expired := user("expired", 0) // idle at 60 minutes
	tests := []struct {
		name      string
		cookies   []string
		wantUser  string // "" for a new session
		wantCalls int
	}{
		{"older then newer", []string{older, newer}, "newer", 0},
		{"newer then older", []string{newer, older}, "newer", 0},
		{"renewed last wins over issued last", []string{newer, renewed}, "renewed", 0},
		{"renewed last, other order", []string{renewed, newer}, "renewed", 0},
		{"garbage then valid", []string{"garbage", older}, "older", 0},
		{"valid then garbage", []string{older, "garbage"}, "older", 0},
		{"unknown key then valid", []string{mintAt(t, other, 70*min), older}, "older", 0},
		{"valid then expired", []string{older, expired}, "older", 0},
		{"expired then valid", []string{expired, older}, "older", 0},
		{"two garbage", []string{"garbage", "AAAA"}, "", 1},
		{"garbage and unknown key", []string{"garbage", mintAt(t, other, 70*min)}, "", 1},
		{"expired and garbage", []string{expired, "garbage"}, "", 1},
		{"expired alone", []string{expired}, "", 1},
	}
	for _, tc := range tests {
		for _, oneLine := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/one header %v", tc.name, oneLine), func(t *testing.T) {
				hook.reset()
				var lines []string
				for _, v := range tc.cookies {
					lines = append(lines, "s="+v)
				}
				if oneLine {
					lines = []string{strings.Join(lines, "; ")}
				}
				inBubble(t, 70*min, func(t *testing.T) {
					serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
						var got string
						s.Get("user", &got)
						if got != tc.wantUser || s.IsNew() != (tc.wantUser == "") {
							t.Errorf("got user %q (IsNew %v), want %q", got, s.IsNew(), tc.wantUser)
						}
					}), lines...)
				})
				if got := hook.calls(); len(got) != tc.wantCalls {
					t.Errorf("OnInvalid: got %d calls %v, want %d", len(got), got, tc.wantCalls)
				}
			})
		}
	}
}

func TestRegenerate(t *testing.T) {
	m := mustNew(t, freshRing(t), cookiesession.Config{})
	synctest.Test(t, func(t *testing.T) {
		b := newBrowser()
		var id string
		b.do(t, wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
			s.Set("a", 1)
			s.Flash("info", "hi")
			id = s.ID()
		}))
		time.Sleep(10 * time.Minute)
		var newID string
		resp := b.do(t, wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
			if got := s.ID(); got != id {
				t.Errorf("ID before Regenerate: got %q, want %q", got, id)
			}
			s.Regenerate()
			newID = s.ID()
			if newID == id || len(newID) != 22 {
				t.Errorf("ID after Regenerate: got %q, want 22 characters other than %q", newID, id)
			}
			if got, want := s.IssuedAt(), epoch.Add(10*time.Minute); !got.Equal(want) {
				t.Errorf("IssuedAt after Regenerate: got %v, want %v", got, want)
			}
			if got, want := s.ExpiresAt(), epoch.Add(24*time.Hour+10*time.Minute); !got.Equal(want) {
				t.Errorf("ExpiresAt after Regenerate: got %v, want %v", got, want)
			}
			if s.IsNew() || !s.IsChanged() {
				t.Errorf("IsNew, IsChanged: got %v, %v, want false, true", s.IsNew(), s.IsChanged())
			}
		}))
		if c := oneCookie(t, resp); c.MaxAge != 86400 {
			t.Errorf("Max-Age: got %d, want 86400", c.MaxAge)
		}
		time.Sleep(time.Minute)
		b.do(t, wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
			if got := s.ID(); got != newID {
				t.Errorf("ID on the next request: got %q, want %q", got, newID)
			}
			if got, want := s.IssuedAt(), epoch.Add(10*time.Minute); !got.Equal(want) {
				t.Errorf("IssuedAt on the next request: got %v, want %v", got, want)
			}
			var a int
			if _, err := s.Get("a", &a); err != nil || a != 1 {
				t.Errorf("a: got %d (%v), want 1", a, err)
			}
			if got := s.Flashes("info"); !slices.Equal(got, []string{"hi"}) {
				t.Errorf("Flashes: got %q, want [hi]", got)
			}
		}))
	})
}

// TestExpiresDuringRequest lets the absolute expiry pass while a handler
// runs: the response must not re-issue the session.
func TestExpiresDuringRequest(t *testing.T) {
	tests := []struct {
		name string
		f    func(s *cookiesession.Session)
	}{
		{"read", func(s *cookiesession.Session) { s.Has("a") }},
		{"changed", func(s *cookiesession.Session) { s.Set("b", 2) }},
		{"flash", func(s *cookiesession.Session) { s.Flash("info", "hi") }},
		{"touched", func(s *cookiesession.Session) { s.Touch() }},
	}
	for _, tc := range tests {
		for _, persistent := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/persistent=%v", tc.name, persistent), func(t *testing.T) {
				m := mustNew(t, freshRing(t), cookiesession.Config{Lifetime: time.Hour})
				synctest.Test(t, func(t *testing.T) {
					b := newBrowser()
					b.do(t, wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
						s.SetPersistent(persistent)
						s.Set("a", 1)
					}))
					time.Sleep(time.Hour - time.Second)
					resp := b.do(t, wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
						if s.IsNew() {
							t.Fatalf("IsNew: got true before the expiry, want false")
						}
						tc.f(s)
						time.Sleep(2 * time.Second)
					}))
					for _, c := range setCookies(t, resp) {
						if c.MaxAge >= 0 || c.Value != "" {
							t.Errorf("got Set-Cookie %q after the expiry, want none or a deleting one", resp.Header.Get("Set-Cookie"))
						}
					}
				})
			})
		}
	}
}

// TestRefusedChangeKeepsSession checks that a change that panics because
// the response is committed leaves the session as it was, so that code
// that recovers (a recovery middleware, say) sees what the cookie holds.
func TestRefusedChangeKeepsSession(t *testing.T) {
	changes := []struct {
		name string
		f    func(s *cookiesession.Session)
	}{
		{"Delete", func(s *cookiesession.Session) { s.Delete("a") }},
		{"Clear", func(s *cookiesession.Session) { s.Clear() }},
		{"Destroy", func(s *cookiesession.Session) { s.Destroy() }},
		{"Regenerate", func(s *cookiesession.Session) { s.Regenerate() }},
		{"SetPersistent", func(s *cookiesession.Session) { s.SetPersistent(false) }},
	}
	for _, ch := range changes {
		t.Run(ch.name, func(t *testing.T) {
			m := mustNew(t, freshRing(t), cookiesession.Config{})
			start := mintWith(t, m, setA)
			serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
				w.WriteHeader(http.StatusOK)
				id, keys, persistent := s.ID(), s.Keys(), s.Persistent()
				func() {
					defer func() { recover() }()
					ch.f(s)
				}()
				if s.ID() != id || !slices.Equal(s.Keys(), keys) || s.Persistent() != persistent {
					t.Errorf("after the panic: got ID %s, keys %q, persistent %v, want %s, %q, %v",
						s.ID(), s.Keys(), s.Persistent(), id, keys, persistent)
				}
			}), "__Host-session="+start)
		})
	}
}
