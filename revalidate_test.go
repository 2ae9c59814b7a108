package cookiesession_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/cookiesession/cookiesession"
)

var errRevoked = errors.New("password changed")

// checker is a Revalidate hook whose verdict the test sets, and which
// records the users it was asked about.
type checker struct {
	mu      sync.Mutex
	verdict error
	asked   []string
}

func (c *checker) revalidate(r *http.Request, s *cookiesession.Session) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = append(c.asked, userOf(s)) // the hook can read the session
	return c.verdict
}

func (c *checker) set(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.verdict = err
}

func (c *checker) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.asked)
}

// revalidationStep is one request of a timeline: at a time since the
// epoch, with the hook answering verdict.
type revalidationStep struct {
	at         time.Duration
	verdict    error
	untouched  bool // the handler does not use the session
	regenerate bool // the handler calls Regenerate

	wantCalls  int    // calls to the hook during the request
	wantUser   string // the user the handler sees
	wantCookie string // "set", "delete" or "" for no Set-Cookie
	wantReason cookiesession.Reason
}

func runRevalidation(t *testing.T, every time.Duration, steps []revalidationStep) {
	t.Helper()
	inBubble(t, 0, func(t *testing.T) {
		var hook hookLog
		var c checker
		m := mustNew(t, freshRing(t), cookiesession.Config{
			Revalidate: c.revalidate, RevalidateEvery: every, OnInvalid: hook.record, Lifetime: 24 * time.Hour,
		})
		b := newBrowser()
		var user string
		var st revalidationStep
		h := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
			if st.untouched {
				return
			}
			user = userOf(s)
			if st.regenerate {
				s.Regenerate()
			}
		})
		login := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Set("user", "alice") })
		b.do(t, login)
		start := time.Now()
		for i := range steps {
			st = steps[i]
			time.Sleep(start.Add(st.at).Sub(time.Now()))
			c.set(st.verdict)
			user = ""
			calls := c.calls()
			hook.reset()
			resp := b.do(t, h)
			name := fmt.Sprintf("step %d at %v", i, st.at)
			if got := c.calls() - calls; got != st.wantCalls {
				t.Errorf("%s: got %d calls to Revalidate, want %d", name, got, st.wantCalls)
			}
			if user != st.wantUser {
				t.Errorf("%s: got user %q, want %q", name, user, st.wantUser)
			}
			if got := cookieAction(t, resp); got != st.wantCookie {
				t.Errorf("%s: got cookie %q, want %q", name, got, st.wantCookie)
			}
			checkReasons(t, hook.calls(), st.wantReason)
			if st.wantReason != "" && !errors.Is(hook.calls()[0], st.verdict) {
				t.Errorf("%s: OnInvalid got %v, want it to wrap %v", name, hook.calls()[0], st.verdict)
			}
		}
	})
}

// cookieAction says what a response does to the session cookie.
func cookieAction(tb testing.TB, resp *http.Response) string {
	cs := setCookies(tb, resp)
	switch {
	case len(cs) == 0:
		return ""
	case cs[0].MaxAge < 0:
		return "delete"
	}
	return "set"
}

func TestRevalidate(t *testing.T) {
	const min = time.Minute
	cases := []struct {
		name  string
		every time.Duration
		steps []revalidationStep
	}{{
		name:  "at most once per interval, counted from the last check that passed",
		every: 10 * min,
		steps: []revalidationStep{
			{at: 1 * min, wantUser: "alice"},                                   // login counts as a check
			{at: 10 * min, wantCalls: 1, wantUser: "alice", wantCookie: "set"}, // check recorded in the cookie
			{at: 15 * min, wantUser: "alice"},
			{at: 19 * min, wantUser: "alice"},
			{at: 20 * min, wantCalls: 1, wantUser: "alice", wantCookie: "set"},
		},
	}, {
		name:  "a failure ends the session and deletes the cookie",
		every: 10 * min,
		steps: []revalidationStep{
			{at: 10 * min, verdict: errRevoked, wantCalls: 1, wantCookie: "delete", wantReason: cookiesession.ReasonRevalidation},
			{at: 11 * min}, // no cookie left: a new session, no check
		},
	}, {
		name:  "ErrRevalidateLater keeps the session and asks again next time",
		every: 10 * min,
		steps: []revalidationStep{
			{at: 10 * min, verdict: fmt.Errorf("database down: %w", cookiesession.ErrRevalidateLater), wantCalls: 1, wantUser: "alice"},
			{at: 11 * min, verdict: cookiesession.ErrRevalidateLater, wantCalls: 1, wantUser: "alice"},
			{at: 12 * min, wantCalls: 1, wantUser: "alice", wantCookie: "set"},
			{at: 13 * min, wantUser: "alice"},
		},
	}, {
		name:  "a request that does not use the session does not check it",
		every: 10 * min,
		steps: []revalidationStep{
			{at: 30 * min, untouched: true},
			{at: 31 * min, wantCalls: 1, wantUser: "alice", wantCookie: "set"},
		},
	}, {
		name:  "Regenerate restarts the interval",
		every: 10 * min,
		steps: []revalidationStep{
			{at: 5 * min, regenerate: true, wantUser: "alice", wantCookie: "set"},
			{at: 12 * min, wantUser: "alice"},
			{at: 15 * min, wantCalls: 1, wantUser: "alice", wantCookie: "set"},
		},
	}, {
		name:  "an interval of zero checks every request and records nothing",
		every: 0,
		steps: []revalidationStep{
			{at: 0, wantCalls: 1, wantUser: "alice"},
			{at: 1 * min, wantCalls: 1, wantUser: "alice"},
			{at: 2 * min, verdict: errRevoked, wantCalls: 1, wantCookie: "delete", wantReason: cookiesession.ReasonRevalidation},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runRevalidation(t, tc.every, tc.steps) })
	}
}

// TestRevalidateRecordsTime checks what the cookie carries after a check,
// and that a check is not recorded when its eight bytes would not fit.
func TestRevalidateRecordsTime(t *testing.T) {
	inBubble(t, 0, func(t *testing.T) {
		ring := freshRing(t)
		var c checker
		m := mustNew(t, ring, cookiesession.Config{Revalidate: c.revalidate, RevalidateEvery: time.Minute})
		budget := cookiesession.PayloadBudget("__Host-session")
		small := mintWith(t, m, func(s *cookiesession.Session) error { return s.Set("user", "alice") })
		full := mintWith(t, m, func(s *cookiesession.Session) error {
			return s.Set("user", strings.Repeat("x", budget-3-len("user")-2))
		})
		time.Sleep(time.Hour)
		read := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Has("user") })

		resp := serve(read, "__Host-session="+small)
		got, err := ring.Inspect("__Host-session", oneCookie(t, resp).Value, time.Now())
		if err != nil || !got.RevalidatedAt.Equal(time.Now()) {
			t.Errorf("after a check: got %+v, %v; want RevalidatedAt now", got, err)
		}

		resp = serve(read, "__Host-session="+full)
		noCookie(t, resp)
		if c.calls() != 2 {
			t.Errorf("got %d checks, want 2", c.calls())
		}
		if st := m.Stats().Revalidation; st.Passed != 2 || st.Failed != 0 || st.Deferred != 0 {
			t.Errorf("Stats().Revalidation: got %+v, want 2 passed", st)
		}
	})
}

// TestRevalidateHookChangesSession checks that a hook may change the
// session, and that a check is not recorded on a session it replaced.
func TestRevalidateHookChangesSession(t *testing.T) {
	inBubble(t, 0, func(t *testing.T) {
		ring := freshRing(t)
		m := mustNew(t, ring, cookiesession.Config{
			RevalidateEvery: time.Minute,
			Revalidate: func(r *http.Request, s *cookiesession.Session) error {
				if userOf(s) == "bob" {
					s.Destroy()
					return s.Flash("info", "signed out elsewhere")
				}
				return s.Set("role", "reader") // the database says so
			},
		})
		alice, bob := mint(t, m), mintWith(t, m, func(s *cookiesession.Session) error { return s.Set("user", "bob") })
		time.Sleep(time.Hour)
		var role string
		var flashes []string
		h := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
			s.Get("role", &role)
			flashes = s.Flashes("info")
		})
		c, _ := ring.Inspect("__Host-session", oneCookie(t, serve(h, "__Host-session="+alice)).Value, time.Now())
		if role != "reader" || c == nil || c.RevalidatedAt.IsZero() {
			t.Errorf("alice: got role %q and %+v, want reader and a recorded check", role, c)
		}
		c, _ = ring.Inspect("__Host-session", oneCookie(t, serve(h, "__Host-session="+bob)).Value, time.Now())
		if len(flashes) != 1 || c != nil && !c.RevalidatedAt.IsZero() {
			t.Errorf("bob: got flashes %q and %+v, want the flash and a new session with no check recorded", flashes, c)
		}
	})
}

func TestRevalidateConfig(t *testing.T) {
	ring := freshRing(t)
	hook := func(*http.Request, *cookiesession.Session) error { return nil }
	for _, cfg := range []cookiesession.Config{
		{RevalidateEvery: time.Minute},
		{Revalidate: hook, RevalidateEvery: -time.Second},
	} {
		if _, err := cookiesession.New(ring, cfg); err == nil {
			t.Errorf("New(%+v): got nil, want an error", cfg)
		}
	}
}

// TestNewWholeSeconds checks that New refuses durations that the sealed
// times, in whole seconds, could not keep: 500ms would check on every
// request, 1.9s every second.
func TestNewWholeSeconds(t *testing.T) {
	hook := func(*http.Request, *cookiesession.Session) error { return nil }
	tests := []struct {
		name  string
		cfg   cookiesession.Config
		field string // the field the error names; "" if New accepts cfg
	}{
		{"RevalidateEvery 500ms", cookiesession.Config{Revalidate: hook, RevalidateEvery: 500 * time.Millisecond}, "RevalidateEvery"},
		{"RevalidateEvery 1.9s", cookiesession.Config{Revalidate: hook, RevalidateEvery: 1900 * time.Millisecond}, "RevalidateEvery"},
		{"RevalidateEvery 1ns", cookiesession.Config{Revalidate: hook, RevalidateEvery: 1}, "RevalidateEvery"},
		{"Lifetime 1.5s", cookiesession.Config{Lifetime: 1500 * time.Millisecond}, "Lifetime"},
		{"Lifetime 500ms", cookiesession.Config{Lifetime: 500 * time.Millisecond}, "Lifetime"},
		{"Lifetime 24h and 1ms", cookiesession.Config{Lifetime: 24*time.Hour + time.Millisecond}, "Lifetime"},
		{"IdleTimeout 1.5s", cookiesession.Config{IdleTimeout: 1500 * time.Millisecond}, "IdleTimeout"},
		{"IdleTimeout 999ms", cookiesession.Config{IdleTimeout: 999 * time.Millisecond}, "IdleTimeout"},
		{"RevalidateEvery 1s", cookiesession.Config{Revalidate: hook, RevalidateEvery: time.Second}, ""},
		{"RevalidateEvery 0", cookiesession.Config{Revalidate: hook}, ""},
		{"Lifetime 2s, IdleTimeout 90s", cookiesession.Config{Lifetime: 2 * time.Second, IdleTimeout: 90 * time.Second}, ""},
		{"ClockSkew is not counted", cookiesession.Config{ClockSkew: 1500 * time.Millisecond}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := cookiesession.New(freshRing(t), tc.cfg)
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tc.field == "":
			case m != nil || err == nil:
				t.Fatalf("got a Manager and error %v, want no Manager and an error", err)
			case !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), "whole"):
				t.Errorf("got error %q, want one that says %s must be whole seconds", err, tc.field)
			}
		})
	}
}

func TestRevalidateStats(t *testing.T) {
	var c checker
	m := mustNew(t, freshRing(t), cookiesession.Config{Revalidate: c.revalidate})
	cookie := mint(t, m)
	read := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Has("user") })
	for _, v := range []error{nil, cookiesession.ErrRevalidateLater, nil, errRevoked} {
		c.set(v)
		serve(read, "__Host-session="+cookie)
	}
	st := m.Stats()
	if st.Revalidation != (cookiesession.RevalidationStats{Passed: 2, Failed: 1, Deferred: 1}) {
		t.Errorf("Revalidation: got %+v, want 2 passed, 1 failed, 1 deferred", st.Revalidation)
	}
	if st.Invalid[cookiesession.ReasonRevalidation] != 1 {
		t.Errorf("Invalid[revalidation failed]: got %d, want 1", st.Invalid[cookiesession.ReasonRevalidation])
	}
}

// TestRevalidateFailsClosed checks the paths on which a session could
// escape a failed or unfinished check: a session first used after the
// response's headers went out, and another goroutine reading it while the
// hook runs. TestRevalidatePanicOverHTTP covers a hook that panics.
func TestRevalidateFailsClosed(t *testing.T) {
	t.Run("first use after the headers went out", func(t *testing.T) {
		m := mustNew(t, freshRing(t), cookiesession.Config{
			Revalidate: func(*http.Request, *cookiesession.Session) error { return errRevoked },
		})
		cookie := mint(t, m)
		var user string
		var isNew bool
		serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
			w.WriteHeader(http.StatusOK) // streaming: the session is read later
			user, isNew = userOf(s), s.IsNew()
		}), "__Host-session="+cookie)
		if user != "" || !isNew {
			t.Errorf("got user %q, new %v; want an empty new session", user, isNew)
		}
	})

	t.Run("another goroutine waits for the verdict", func(t *testing.T) {
		entered, release := make(chan struct{}), make(chan struct{})
		m := mustNew(t, freshRing(t), cookiesession.Config{
			Revalidate: func(*http.Request, *cookiesession.Session) error {
				close(entered)
				<-release
				return errRevoked
			},
		})
		cookie := mint(t, m)
		var other string
		serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
			done := make(chan struct{})
			go func() {
				<-entered
				go func() { time.Sleep(10 * time.Millisecond); close(release) }()
				other = userOf(s) // must wait for the hook
				close(done)
			}()
			userOf(s)
			<-done
		}), "__Host-session="+cookie)
		if other != "" {
			t.Errorf("a goroutine reading during the check: got user %q, want the ended session's empty one", other)
		}
	})
}

// TestRevalidateMigrated checks that a session made from a legacy cookie is
// checked on its first request, whatever the interval: the legacy cookie
// was never checked.
func TestRevalidateMigrated(t *testing.T) {
	hash := securecookie.GenerateRandomKey(32)
	legacy, err := securecookie.New(hash, nil).Encode("session", map[any]any{"user": "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var c checker
	c.set(errRevoked)
	var hook hookLog
	m := mustNew(t, freshRing(t), cookiesession.Config{
		Revalidate: c.revalidate, RevalidateEvery: time.Hour, OnInvalid: hook.record,
		Migrate: &cookiesession.GorillaCookie{Name: "session", KeyPairs: [][]byte{hash}, Until: time.Now().Add(time.Hour)},
	})
	var user string
	resp := serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { user = userOf(s) }), "session="+legacy)
	if c.calls() != 1 || user != "" {
		t.Errorf("got %d checks and user %q, want 1 check and no user", c.calls(), user)
	}
	checkReasons(t, hook.calls(), cookiesession.ReasonRevalidation)
	for _, sc := range setCookies(t, resp) {
		if sc.MaxAge >= 0 {
			t.Errorf("got Set-Cookie %s=…, max-age %d; want only deletions", sc.Name, sc.MaxAge)
		}
	}
}

// TestRevalidatedAt checks what Session.RevalidatedAt reports: the issued-at
// time until a check is recorded, the time of the last check that passed
// (in the hook, the one before the running check), and no change when the
// hook defers.
func TestRevalidatedAt(t *testing.T) {
	inBubble(t, 0, func(t *testing.T) {
		var c checker
		var inHook time.Time
		m := mustNew(t, freshRing(t), cookiesession.Config{
			RevalidateEvery: 10 * time.Minute,
			Revalidate: func(r *http.Request, s *cookiesession.Session) error {
				inHook = s.RevalidatedAt()
				return c.revalidate(r, s)
			},
		})
		issued := time.Now()
		b := newBrowser()
		b.do(t, wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Set("user", "alice") }))
		var got time.Time
		read := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { got = s.RevalidatedAt() })
		steps := []struct {
			at             time.Duration
			verdict        error
			wantInHook     time.Duration // -1 if the hook does not run
			wantAfterwards time.Duration
		}{
			{at: 5 * time.Minute, wantInHook: -1, wantAfterwards: 0},
			{at: 10 * time.Minute, verdict: cookiesession.ErrRevalidateLater, wantInHook: 0, wantAfterwards: 0},
			{at: 11 * time.Minute, wantInHook: 0, wantAfterwards: 11 * time.Minute},
			{at: 12 * time.Minute, wantInHook: -1, wantAfterwards: 11 * time.Minute},
			{at: 21 * time.Minute, wantInHook: 11 * time.Minute, wantAfterwards: 21 * time.Minute},
		}
		for _, st := range steps {
			time.Sleep(time.Until(issued.Add(st.at)))
			c.set(st.verdict)
			inHook = time.Time{}
			b.do(t, read)
			if want := issued.Add(st.wantInHook); st.wantInHook >= 0 && !inHook.Equal(want) {
				t.Errorf("at %v: the hook saw RevalidatedAt %v, want %v", st.at, inHook, want)
			}
			if st.wantInHook < 0 && !inHook.IsZero() {
				t.Errorf("at %v: the hook ran, want no check", st.at)
			}
			if want := issued.Add(st.wantAfterwards); !got.Equal(want) {
				t.Errorf("at %v: got RevalidatedAt %v, want %v", st.at, got, want)
			}
		}
	})
}
