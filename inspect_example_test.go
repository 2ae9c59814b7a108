package cookiesession_test

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/cookiesession/cookiesession"
)

// Inspect is for support and operations tools: what does this cookie hold,
// which key sealed it, and why does it not open?
func ExampleKeyRing_Inspect() {
	// The published development key, so that the key IDs are the same on
	// every run: do not use it outside examples.
	keys := cookiesession.InsecureDevelopmentKeyRing()
	m, err := cookiesession.New(keys, cookiesession.Config{})
	if err != nil {
		log.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Get(r)
		s.Set("user", "alice")
		s.Flash("info", "Welcome back")
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	value := rec.Result().Cookies()[0].Value

	c, err := keys.Inspect("__Host-session", value, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Version, c.Transport, c.KeyID, c.Primary)
	fmt.Println(c.ExpiresAt.Sub(c.IssuedAt), string(c.Values["user"]), c.Flashes[0].Kind, string(c.Flashes[0].Message))

	// A day later it has expired; its contents still come back.
	c, err = keys.Inspect("__Host-session", value, time.Now().Add(24*time.Hour))
	fmt.Println(errors.Is(err, cookiesession.ErrExpired), c != nil)

	// Under another ring, the error names the key that sealed it.
	other, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
	if err != nil {
		log.Fatal(err)
	}
	_, err = other.Inspect("__Host-session", value, time.Now())
	var ie *cookiesession.InvalidError
	if errors.As(err, &ie) {
		fmt.Println(ie.Reason, ie.KeyID)
	}
	// Output:
	// 2 cookie a6b3c004 true
	// 24h0m0s "alice" info "Welcome back"
	// true true
	// unknown key a6b3c004
}
