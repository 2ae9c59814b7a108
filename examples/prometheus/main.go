// Command prometheus serves a small app whose session statistics are
// scraped by Prometheus at /metrics:
//
//	go run . # from examples/prometheus
//	curl -s http://127.0.0.1:8081/metrics | grep cookiesession_
//
// With SESSION_KEYS unset it uses the published development key, so it
// listens on loopback only.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/prometheus/sessionmetrics"
)

func main() {
	keys := cookiesession.InsecureDevelopmentKeyRing() // do not use outside development
	if os.Getenv("SESSION_KEYS") != "" {
		var err error
		if keys, err = cookiesession.KeyRingFromEnv("SESSION_KEYS"); err != nil {
			log.Fatal(err)
		}
	}
	// A cookie name of its own: cookies ignore ports, and the other
	// examples run on 127.0.0.1 too.
	sessions, err := cookiesession.New(keys, cookiesession.Config{Name: "__Host-prometheus"})
	if err != nil {
		log.Fatal(err)
	}
	prometheus.MustRegister(sessionmetrics.New(sessions))

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.Handler())
	mux.Handle("/", sessions.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sessions.Get(r)
		var n int
		s.Get("n", &n)
		if err := s.Set("n", n+1); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "visits: %d\n", n+1)
	})))
	log.Printf("serving on http://127.0.0.1:8081; metrics at /metrics")
	log.Fatal(http.ListenAndServe("127.0.0.1:8081", mux))
}
