// Command hello is the README's first example: a counter kept in a session cookie.
package main

import (
	"fmt"
	"log"
	"net/http"

	"github.com/cookiesession/cookiesession"
)

func main() {
	keys, err := cookiesession.KeyRingFromEnv("SESSION_KEYS")
	if err != nil {
		log.Fatal(err)
	}
	// A cookie name of its own: cookies ignore ports, so every application
	// on 127.0.0.1 would otherwise share one session.
	sessions, err := cookiesession.New(keys, cookiesession.Config{Name: "__Host-hello"})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s := sessions.Get(r)
		var visits int
		if _, err := s.Get("visits", &visits); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		visits++
		if err := s.Set("visits", visits); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "visits: %d\n", visits)
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", sessions.Handler(mux)))
}
