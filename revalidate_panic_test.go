package cookiesession_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// panickingRevalidate is a Revalidate hook with a bug.
func panickingRevalidate(*http.Request, *cookiesession.Session) error {
	panic("database driver bug")
}

// recoverer is the usual recovery middleware: a panic becomes a 500.
func recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				http.Error(w, "recovered", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// checkPanicReported checks what OnInvalid and Stats saw of a hook that
// panicked once: one call with an error matching ErrInvalid, whose reason
// is ReasonRevalidation and whose cause is a *PanicError with the panic's
// value and a stack that names the hook, and one failure counted.
func checkPanicReported(tb testing.TB, m *cookiesession.Manager, calls []error) {
	tb.Helper()
	checkReasons(tb, calls, cookiesession.ReasonRevalidation)
	if len(calls) != 1 {
		return
	}
	var pe *cookiesession.PanicError
	switch {
	case !errors.As(calls[0], &pe):
		tb.Errorf("OnInvalid: got %v, want it to wrap a *PanicError", calls[0])
	case pe.Value != "database driver bug":
		tb.Errorf("PanicError.Value: got %#v, want the value the hook panicked with", pe.Value)
	case !bytes.Contains(pe.Stack, []byte("panickingRevalidate")):
		tb.Errorf("PanicError.Stack: got %q, want a stack that names the hook", pe.Stack)
	}
	st := m.Stats()
	if st.Revalidation.Failed != 1 || st.Invalid[cookiesession.ReasonRevalidation] != 1 {
		t := st.Revalidation
		tb.Errorf("Stats: got %+v and %d invalid for revalidation, want 1 failed and 1 invalid", t, st.Invalid[cookiesession.ReasonRevalidation])
	}
}

// TestRevalidatePanicOverHTTP checks that a panicking hook ends the
// session as a failed check does, whatever recovers panics around the
// middleware: the handler runs with an empty session and answers 200, the
// response deletes the cookie, and OnInvalid and Stats see the failure.
func TestRevalidatePanicOverHTTP(t *testing.T) {
	layouts := []struct {
		name   string
		layout func(m *cookiesession.Manager, mux http.Handler) http.Handler
	}{
		{"net/http's recovery only", func(m *cookiesession.Manager, mux http.Handler) http.Handler {
			return m.Handler(mux)
		}},
		{"a recoverer inside Handler", func(m *cookiesession.Manager, mux http.Handler) http.Handler {
			return m.Handler(recoverer(mux))
		}},
		{"a recoverer outside Handler", func(m *cookiesession.Manager, mux http.Handler) http.Handler {
			return recoverer(m.Handler(mux))
		}},
	}
	for _, tc := range layouts {
		t.Run(tc.name, func(t *testing.T) {
			var hook hookLog
			m := mustNew(t, freshRing(t), cookiesession.Config{Revalidate: panickingRevalidate, OnInvalid: hook.record})
			cookie := mint(t, m)
			mux := http.NewServeMux()
			mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
				s := m.Get(r)
				fmt.Fprintf(w, "user=%q new=%v", userOf(s), s.IsNew())
			})
			srv := httptest.NewUnstartedServer(tc.layout(m, mux))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // a panic that escapes is logged there
			srv.StartTLS()
			defer srv.Close()

			req, err := http.NewRequest("GET", srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.AddCookie(&http.Cookie{Name: "__Host-session", Value: cookie})
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatalf("got %v, want a response", err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || string(body) != `user="" new=true` {
				t.Errorf("got %d %q, want 200 %q", resp.StatusCode, body, `user="" new=true`)
			}
			if got := cookieAction(t, resp); got != "delete" {
				t.Errorf("got cookie %q, want delete", got)
			}
			checkPanicReported(t, m, hook.calls())
		})
	}
}

// TestRevalidatePanicLoad checks the same without the middleware.
func TestRevalidatePanicLoad(t *testing.T) {
	var hook hookLog
	m := mustNew(t, freshRing(t), cookiesession.Config{Revalidate: panickingRevalidate, OnInvalid: hook.record})
	req := httptest.NewRequest("GET", "https://example.com/", nil)
	req.AddCookie(&http.Cookie{Name: "__Host-session", Value: mint(t, m)})
	s := m.Load(req)
	if user := userOf(s); user != "" || !s.IsNew() {
		t.Errorf("got user %q, new %v; want an empty new session", user, s.IsNew())
	}
	rec := httptest.NewRecorder()
	if err := m.Save(rec, s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if got := cookieAction(t, rec.Result()); got != "delete" {
		t.Errorf("got cookie %q, want delete", got)
	}
	checkPanicReported(t, m, hook.calls())
}

// TestPanicErrorUnwrap checks that a hook that panics with an error leaves
// that error for errors.Is to find.
func TestPanicErrorUnwrap(t *testing.T) {
	var hook hookLog
	m := mustNew(t, freshRing(t), cookiesession.Config{
		Revalidate: func(*http.Request, *cookiesession.Session) error { panic(errRevoked) },
		OnInvalid:  hook.record,
	})
	serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Has("user") }), "__Host-session="+mint(t, m))
	calls := hook.calls()
	var pe *cookiesession.PanicError
	if len(calls) != 1 || !errors.As(calls[0], &pe) || !errors.Is(calls[0], errRevoked) {
		t.Errorf("OnInvalid: got %v, want one *PanicError wrapping %v", calls, errRevoked)
	}
}

// TestRevalidatePanicNil checks a hook that panics with nil, in a test
// binary of its own run with GODEBUG=panicnil=1 too, where recover gives
// nil: the panic still ends the session as a failed check.
func TestRevalidatePanicNil(t *testing.T) {
	if os.Getenv("COOKIESESSION_PANICNIL_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRevalidatePanicNil$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GODEBUG=panicnil=1", "COOKIESESSION_PANICNIL_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil || !bytes.Contains(out, []byte("PASS")) {
			t.Errorf("with GODEBUG=panicnil=1: %v\n%s", err, out)
		}
	}
	var hook hookLog
	m := mustNew(t, freshRing(t), cookiesession.Config{
		Revalidate: func(*http.Request, *cookiesession.Session) error { panic(nil) },
		OnInvalid:  hook.record,
	})
	req := httptest.NewRequest("GET", "https://example.com/", nil)
	req.AddCookie(&http.Cookie{Name: "__Host-session", Value: mint(t, m)})
	if s := m.Load(req); userOf(s) != "" || !s.IsNew() {
		t.Errorf("GODEBUG %q: got user %q, new %v; want an empty new session", os.Getenv("GODEBUG"), userOf(s), s.IsNew())
	}
	calls := hook.calls()
	checkReasons(t, calls, cookiesession.ReasonRevalidation)
	var pe *cookiesession.PanicError
	if len(calls) == 1 && !errors.As(calls[0], &pe) {
		t.Errorf("GODEBUG %q: OnInvalid got %v, want a *PanicError", os.Getenv("GODEBUG"), calls[0])
	}
	if st := m.Stats().Revalidation; st.Failed != 1 || st.Passed != 0 {
		t.Errorf("GODEBUG %q: Stats %+v, want 1 failed and none passed", os.Getenv("GODEBUG"), st)
	}
}
