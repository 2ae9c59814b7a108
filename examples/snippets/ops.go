package snippets

import (
	"expvar"
	"log"
	"net/http"

	"github.com/cookiesession/cookiesession"
)

// operators serves the counters to operators: expvar's, with the
// sessions' among them, and the sessions' alone.
func operators(sessions *cookiesession.Manager) http.Handler {
	expvar.Publish("sessions", expvar.Func(func() any { return sessions.Stats() }))
	ops := http.NewServeMux() // not http.DefaultServeMux, where importing expvar put /debug/vars
	ops.Handle("GET /debug/vars", expvar.Handler())
	ops.Handle("GET /debug/sessions", sessions.StatsHandler())
	return ops
}

// serveWithOperators is the README's "Counters" fragment that serves an
// application and its operators' counters on two listeners.
func serveWithOperators(mux *http.ServeMux) {
	go func() { log.Fatal(http.ListenAndServe("127.0.0.1:6060", operators(sessions))) }() // loopback: operators only
	log.Fatal(http.ListenAndServe(":8080", sessions.Handler(mux)))                        // your mux: never nil, http.DefaultServeMux
}

var _ = serveWithOperators
