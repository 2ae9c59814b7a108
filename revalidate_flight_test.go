package cookiesession_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cookiesession/cookiesession"
)

// TestRevalidateCoalescesOverHTTP sends, over real HTTP/2, the parallel
// requests of a single-page app that all carry one session due for a
// check, with a hook that refreshes a token as a sign-in with OpenID
// Connect does. The hook must run once, and every response must carry the
// session with the refreshed token.
func TestRevalidateCoalescesOverHTTP(t *testing.T) {
	const parallel = 20
	ring := freshRing(t)
	var calls, arrived atomic.Int32
	all := make(chan struct{}) // closed when every request has arrived
	m := mustNew(t, ring, cookiesession.Config{
		RevalidateEvery: time.Second,
		Revalidate: func(r *http.Request, s *cookiesession.Session) error {
			n := calls.Add(1)
			select { // let the other requests find this check running
			case <-all:
			case <-time.After(5 * time.Second):
			}
			return s.Set("token", fmt.Sprintf("refreshed-%d", n))
		},
	})
	cookie := mintWith(t, m, func(s *cookiesession.Session) error {
		return cmpErr(s.Set("user", "alice"), s.Set("token", "issued"))
	})
	// The cookie was issued this second; from the next it is due.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/", func(w http.ResponseWriter, r *http.Request) {
		s := m.Get(r)
		var token string
		s.Get("token", &token)
		fmt.Fprintf(w, "%s %s", userOf(s), token)
	})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == parallel {
			close(all)
		}
		m.Handler(mux).ServeHTTP(w, r)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()

	type result struct {
		status int
		body   string
		resp   *http.Response
		err    error
	}
	results := make([]result, parallel)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			req, err := http.NewRequest("GET", fmt.Sprintf("%s/api/%d", srv.URL, i), nil)
			if err != nil {
				results[i].err = err
				return
			}
			req.AddCookie(&http.Cookie{Name: "__Host-session", Value: cookie})
			resp, err := srv.Client().Do(req)
			if err != nil {
				results[i].err = err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			results[i] = result{resp.StatusCode, string(b), resp, err}
		})
	}
	wg.Wait()

	t.Logf("%d parallel requests carrying one due session: %d calls to Revalidate", parallel, calls.Load())
	if got := calls.Load(); got != 1 {
		t.Errorf("got %d calls to Revalidate, want 1", got)
	}
	for i, res := range results {
		if res.err != nil {
			t.Errorf("request %d: %v", i, res.err)
			continue
		}
		if res.status != http.StatusOK || res.body != "alice refreshed-1" {
			t.Errorf("request %d: got %d %q, want 200 %q", i, res.status, res.body, "alice refreshed-1")
		}
		c, err := ring.Inspect("__Host-session", oneCookie(t, res.resp).Value, time.Now())
		if err != nil || string(c.Values["token"]) != `"refreshed-1"` || c.RevalidatedAt.IsZero() {
			t.Errorf("request %d: its cookie holds %+v, %v; want the refreshed token and the check recorded", i, c, err)
		}
	}
	if st := m.Stats().Revalidation; st.Passed != 1 || st.Coalesced != parallel-1 {
		t.Errorf("Stats().Revalidation: got %+v, want 1 passed and %d coalesced", st, parallel-1)
	}
}

// cmpErr returns the first error that is not nil.
func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// outcome is what a request of a coalescing test saw of its session, and what
// its response did to the cookie.
type outcome struct {
	user, token, cookie string
}

// tokenSession mints, for m, a session of alice with a token as sign-in
// issued it, and lets time pass until it is due for a check.
func tokenSession(t *testing.T, m *cookiesession.Manager, every time.Duration) string {
	t.Helper()
	cookie := mintWith(t, m, func(s *cookiesession.Session) error {
		return cmpErr(s.Set("user", "alice"), s.Set("token", "issued"))
	})
	time.Sleep(every)
	return cookie
}

// serveOutcome sends one request carrying cookie through m's middleware, with
// ctx, and reports what it saw.
func serveOutcome(t *testing.T, ctx context.Context, m *cookiesession.Manager, cookie string) outcome {
	t.Helper()
	var got outcome
	h := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		got.user = userOf(s)
		s.Get("token", &got.token)
	})
	req := httptest.NewRequestWithContext(ctx, "GET", "https://example.com/", nil)
	req.Header.Set("Cookie", "__Host-session="+cookie)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	got.cookie = cookieAction(t, rec.Result())
	return got
}

// gate holds what newGate's hook records.
type gate struct {
	hook    hookLog       // OnInvalid's calls
	calls   atomic.Int32  // Revalidate's calls
	release chan struct{} // closed to let the first call of Revalidate return
}

// newGate returns a Manager that checks sessions every minute with a hook
// whose first call waits for g.release, and whose nth call returns
// verdict(r, s, n).
func newGate(t *testing.T, verdict func(r *http.Request, s *cookiesession.Session, n int32) error) (*cookiesession.Manager, *gate) {
	g := &gate{release: make(chan struct{})}
	m := mustNew(t, freshRing(t), cookiesession.Config{
		RevalidateEvery: time.Minute, OnInvalid: g.hook.record,
		Revalidate: func(r *http.Request, s *cookiesession.Session) error {
			n := g.calls.Add(1)
			if n == 1 {
				<-g.release
			}
			return verdict(r, s, n)
		},
	})
	return m, g
}

// TestRevalidateSharesVerdict runs a check while four more requests carry
// the same cookie, and checks that each takes its verdict: after a pass,
// the session as the hook left it; after a failure or a panic, an ended
// session and a call to OnInvalid; after ErrRevalidateLater, its own.
func TestRevalidateSharesVerdict(t *testing.T) {
	const waiters = 4
	refreshed, own := outcome{"alice", "refreshed", "set"}, outcome{"alice", "issued", ""}
	ended := outcome{cookie: "delete"}
	cases := []struct {
		name       string
		hook       func(s *cookiesession.Session) error
		wantRunner outcome
		wantWaiter outcome
		wantReason cookiesession.Reason
		wantStats  cookiesession.RevalidationStats
	}{{
		name:       "a pass",
		hook:       func(s *cookiesession.Session) error { return s.Set("token", "refreshed") },
		wantRunner: refreshed, wantWaiter: refreshed,
		wantStats: cookiesession.RevalidationStats{Passed: 1, Coalesced: waiters},
	}, {
		name:       "a failure",
		hook:       func(s *cookiesession.Session) error { return errRevoked },
		wantRunner: ended, wantWaiter: ended, wantReason: cookiesession.ReasonRevalidation,
		wantStats: cookiesession.RevalidationStats{Failed: 1, Coalesced: waiters},
	}, {
		name:       "a panic",
		hook:       func(s *cookiesession.Session) error { panic("database driver bug") },
		wantRunner: ended, wantWaiter: ended, wantReason: cookiesession.ReasonRevalidation,
		wantStats: cookiesession.RevalidationStats{Failed: 1, Coalesced: waiters},
	}, {
		name: "ErrRevalidateLater",
		hook: func(s *cookiesession.Session) error {
			s.Set("token", "refreshed") // kept by the request that ran the hook only
			return cookiesession.ErrRevalidateLater
		},
		wantRunner: refreshed, wantWaiter: own,
		wantStats: cookiesession.RevalidationStats{Deferred: 1, Coalesced: waiters},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inBubble(t, 0, func(t *testing.T) {
				m, g := newGate(t, func(r *http.Request, s *cookiesession.Session, n int32) error { return tc.hook(s) })
				cookie := tokenSession(t, m, time.Minute)
				got := make([]outcome, 1+waiters)
				var wg sync.WaitGroup
				for i := range got {
					wg.Go(func() { got[i] = serveOutcome(t, t.Context(), m, cookie) })
					synctest.Wait() // the first runs the hook; the others wait for it
				}
				close(g.release)
				wg.Wait()

				if g.calls.Load() != 1 {
					t.Errorf("got %d calls to Revalidate, want 1", g.calls.Load())
				}
				for i, g := range got {
					want := tc.wantWaiter
					if i == 0 {
						want = tc.wantRunner
					}
					if g != want {
						t.Errorf("request %d: got %+v, want %+v", i, g, want)
					}
				}
				reported := g.hook.calls()
				if tc.wantReason == "" && len(reported) != 0 || tc.wantReason != "" && len(reported) != len(got) {
					t.Errorf("OnInvalid: got %d calls, want one per request that ended", len(reported))
				}
				for _, err := range reported {
					checkReasons(t, []error{err}, tc.wantReason)
				}
				if st := m.Stats(); st.Revalidation != tc.wantStats || st.Invalid[cookiesession.ReasonRevalidation] != uint64(len(reported)) {
					t.Errorf("Stats: got %+v and %d invalid, want %+v and %d", st.Revalidation, st.Invalid[cookiesession.ReasonRevalidation], tc.wantStats, len(reported))
				}
			})
		})
	}
}

// TestRevalidateRemembersVerdict checks that a check's verdict answers
// requests that carry the checked cookie for a grace period of five
// seconds, or RevalidateEvery if that is shorter, and no longer.
func TestRevalidateRemembersVerdict(t *testing.T) {
	type step struct {
		at        time.Duration // after the first check
		wantCalls int32         // calls to the hook so far
		want      outcome
	}
	pass := func(n int32) outcome { return outcome{"alice", fmt.Sprint("refreshed-", n), "set"} }
	ended := outcome{cookie: "delete"}
	cases := []struct {
		name    string
		every   time.Duration
		verdict error
		steps   []step
	}{{
		name: "a pass, for five seconds", every: time.Minute,
		steps: []step{{0, 1, pass(1)}, {time.Second, 1, pass(1)}, {4 * time.Second, 1, pass(1)}, {5 * time.Second, 2, pass(2)}},
	}, {
		name: "a failure, for five seconds", every: time.Minute, verdict: errRevoked,
		steps: []step{{0, 1, ended}, {4 * time.Second, 1, ended}, {5 * time.Second, 2, ended}},
	}, {
		name: "a pass, for RevalidateEvery if shorter", every: 2 * time.Second,
		steps: []step{{0, 1, pass(1)}, {time.Second, 1, pass(1)}, {2 * time.Second, 2, pass(2)}},
	}, {
		name: "nothing with RevalidateEvery zero", every: 0,
		steps: []step{{0, 1, outcome{"alice", "refreshed-1", "set"}}, {0, 2, outcome{"alice", "refreshed-2", "set"}}},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inBubble(t, 0, func(t *testing.T) {
				var calls atomic.Int32
				m := mustNew(t, freshRing(t), cookiesession.Config{
					RevalidateEvery: tc.every,
					Revalidate: func(r *http.Request, s *cookiesession.Session) error {
						n := calls.Add(1)
						time.Sleep(time.Second) // a slow database; the grace counts from the end
						return cmpErr(tc.verdict, s.Set("token", fmt.Sprint("refreshed-", n)))
					},
				})
				cookie := tokenSession(t, m, tc.every)
				var end time.Time // of the first check
				for i, st := range tc.steps {
					time.Sleep(time.Until(end.Add(st.at)))
					got := serveOutcome(t, t.Context(), m, cookie)
					if i == 0 {
						end = time.Now()
					}
					if calls.Load() != st.wantCalls || got != st.want {
						t.Errorf("%v after the first check: got %d calls and %+v, want %d and %+v", st.at, calls.Load(), got, st.wantCalls, st.want)
					}
				}
			})
		})
	}
}

// TestRevalidateCanceledRunner checks that a check that fails while its
// own request is canceled (a database call given the request's context)
// does not end the sessions of the requests waiting for it: one of them
// checks again.
func TestRevalidateCanceledRunner(t *testing.T) {
	inBubble(t, 0, func(t *testing.T) {
		m, g := newGate(t, func(r *http.Request, s *cookiesession.Session, n int32) error {
			if n == 1 {
				return r.Context().Err()
			}
			return s.Set("token", "refreshed")
		})
		cookie := tokenSession(t, m, time.Minute)
		ctx, cancel := context.WithCancel(t.Context())
		var runner, waiter outcome
		var wg sync.WaitGroup
		wg.Go(func() { runner = serveOutcome(t, ctx, m, cookie) })
		synctest.Wait()
		wg.Go(func() { waiter = serveOutcome(t, t.Context(), m, cookie) })
		synctest.Wait()
		cancel()
		close(g.release)
		wg.Wait()

		if want := (outcome{cookie: "delete"}); runner != want {
			t.Errorf("the canceled request: got %+v, want %+v", runner, want)
		}
		if want := (outcome{"alice", "refreshed", "set"}); waiter != want {
			t.Errorf("the waiting request: got %+v, want %+v", waiter, want)
		}
		if reported := g.hook.calls(); len(reported) != 1 || !errors.Is(reported[0], context.Canceled) {
			t.Errorf("OnInvalid: got %v, want the canceled request's only", reported)
		}
		if st := m.Stats().Revalidation; st != (cookiesession.RevalidationStats{Passed: 1, Failed: 1}) {
			t.Errorf("Stats().Revalidation: got %+v, want 1 passed, 1 failed", st)
		}
	})
}

// TestRevalidateSharesByOpenedValue checks that a check is shared by the
// value that opened, whatever else of the name a request carries.
func TestRevalidateSharesByOpenedValue(t *testing.T) {
	inBubble(t, 0, func(t *testing.T) {
		m, g := newGate(t, func(*http.Request, *cookiesession.Session, int32) error { return nil })
		close(g.release)
		cookie := tokenSession(t, m, time.Minute)
		other := mint(t, mustNew(t, freshRing(t), cookiesession.Config{})) // sealed under another key
		read := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Has("user") })
		serve(read, "__Host-session=not-a-session; __Host-session="+cookie)
		serve(read, "__Host-session="+other+"; __Host-session="+cookie)
		serve(read, "__Host-session="+cookie)
		if got := g.calls.Load(); got != 1 {
			t.Errorf("got %d calls to Revalidate, want 1", got)
		}
	})
}
