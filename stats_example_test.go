package cookiesession_test

import (
	"expvar"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/cookiesession/cookiesession"
)

// Publishing the counters: one line makes them part of expvar's
// /debug/vars, and StatsHandler serves them on a route of their own.
func ExampleManager_Stats() {
	// The published development key, so that the output is the same on
	// every run: do not use it outside examples.
	m, err := cookiesession.New(cookiesession.InsecureDevelopmentKeyRing(), cookiesession.Config{})
	if err != nil {
		log.Fatal(err)
	}
	expvar.Publish("sessions", expvar.Func(func() any { return m.Stats() }))

	mux := http.NewServeMux()
	mux.Handle("GET /debug/vars", expvar.Handler())
	mux.Handle("GET /debug/sessions", m.StatsHandler()) // the same, alone
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		m.Get(r).Set("user", "alice")
	})
	h := m.Handler(mux)

	// Two requests start sessions; the first came with a cookie that is not one.
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", "__Host-session=not-a-session")
	h.ServeHTTP(httptest.NewRecorder(), req)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))

	st := m.Stats()
	fmt.Println("primary key:", st.Keys[0].ID)
	fmt.Println("issued:", st.Issued)
	fmt.Println("malformed:", st.Invalid[cookiesession.ReasonMalformed])
	// Output:
	// primary key: a6b3c004
	// issued: 2
	// malformed: 1
}
