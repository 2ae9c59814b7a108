package snippets

import (
	"expvar"
	"net/http"
)

// publish is the README's "Counters" fragment.
func publish(mux *http.ServeMux) {
	expvar.Publish("sessions", expvar.Func(func() any { return sessions.Stats() }))
	mux.Handle("GET /debug/sessions", sessions.StatsHandler())
}

var _ = publish
