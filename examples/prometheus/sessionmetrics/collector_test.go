package sessionmetrics_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/prometheus/sessionmetrics"
)

func TestCollector(t *testing.T) {
	keys, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	m, err := cookiesession.New(keys, cookiesession.Config{})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.Get(r).Set("user", "alice")
	}))
	serve := func(cookie string) *http.Response {
		req := httptest.NewRequest("GET", "/", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}
	c := serve("").Cookies()[0]
	serve(c.Name + "=" + c.Value)
	serve(c.Name + "=garbage")

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(sessionmetrics.New(m))
	id := keys.PrimaryID()
	want := `
# HELP cookiesession_key_opens_total Cookies and tokens opened with each key of the ring.
# TYPE cookiesession_key_opens_total counter
cookiesession_key_opens_total{key_id="` + id + `",primary="true"} 1
# HELP cookiesession_sessions_issued_total New sessions written for the first time.
# TYPE cookiesession_sessions_issued_total counter
cookiesession_sessions_issued_total 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "cookiesession_key_opens_total", "cookiesession_sessions_issued_total"); err != nil {
		t.Error(err)
	}
	if got := testutil.CollectAndCount(sessionmetrics.New(m), "cookiesession_invalid_total"); got != len(m.Stats().Invalid) {
		t.Errorf("cookiesession_invalid_total: got %d series, want one per reason (%d)", got, len(m.Stats().Invalid))
	}
	malformed := `
# HELP cookiesession_invalid_total Requests whose cookie or token could not be opened, by reason.
# TYPE cookiesession_invalid_total counter
`
	for r, n := range m.Stats().Invalid {
		v := "0"
		if n > 0 {
			v = "1"
		}
		malformed += `cookiesession_invalid_total{reason="` + string(r) + `"} ` + v + "\n"
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(malformed), "cookiesession_invalid_total"); err != nil {
		t.Error(err)
	}
	if m.Stats().Invalid[cookiesession.ReasonMalformed] != 1 {
		t.Errorf("malformed: got %d, want 1", m.Stats().Invalid[cookiesession.ReasonMalformed])
	}
}

// TestCollectorRevalidation checks the Revalidate counters: two requests
// with the same session due for a check make one call of the hook, and
// the second takes its verdict.
func TestCollectorRevalidation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		keys, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
		if err != nil {
			t.Fatal(err)
		}
		var calls int
		m, err := cookiesession.New(keys, cookiesession.Config{
			RevalidateEvery: time.Minute,
			Revalidate: func(*http.Request, *cookiesession.Session) error {
				calls++
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.Get(r).Set("user", "alice")
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		c := rec.Result().Cookies()[0]
		time.Sleep(2 * time.Minute) // the session falls due for a check
		for range 2 {
			req := httptest.NewRequest("GET", "/", nil)
			req.AddCookie(c)
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
		if calls != 1 {
			t.Fatalf("Revalidate: %d calls, want 1", calls)
		}

		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(sessionmetrics.New(m))
		want := `
# HELP cookiesession_revalidations_total Outcomes of the Revalidate hook's calls.
# TYPE cookiesession_revalidations_total counter
cookiesession_revalidations_total{outcome="deferred"} 0
cookiesession_revalidations_total{outcome="failed"} 0
cookiesession_revalidations_total{outcome="passed"} 1
# HELP cookiesession_revalidations_coalesced_total Checks answered by another request's call of the Revalidate hook for the same session, with no call of their own.
# TYPE cookiesession_revalidations_coalesced_total counter
cookiesession_revalidations_coalesced_total 1
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "cookiesession_revalidations_total", "cookiesession_revalidations_coalesced_total"); err != nil {
			t.Error(err)
		}
	})
}
