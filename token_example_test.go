package cookiesession_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/cookiesession/cookiesession"
)

// A client that keeps no cookies (a mobile app, a command-line tool) sends
// its token in a header, empty the first time, and keeps whatever comes
// back in the same header.
func ExampleConfig_tokenHeader() {
	keys, err := cookiesession.NewKeyRing(cookiesession.GenerateKey()) // KeyRingFromEnv in a real service
	if err != nil {
		log.Fatal(err)
	}
	m, err := cookiesession.New(keys, cookiesession.Config{TokenHeader: "Session-Token"})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := m.Get(r)
		s.Regenerate()
		if err := s.Set("user", "alice"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		var user string
		if ok, _ := m.Get(r).Get("user", &user); !ok {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		fmt.Fprintln(w, user)
	})
	h := m.Handler(mux)

	// The first request asks for a token with the header present but empty.
	req := httptest.NewRequest("POST", "/login", nil)
	req.Header.Set("Session-Token", "")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	token := rec.Header().Get("Session-Token")
	fmt.Println("token:", token != "", "cookie:", rec.Header().Get("Set-Cookie") != "", rec.Header().Get("Cache-Control"))

	req = httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Session-Token", token)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body)

	// The same value sent as a cookie is refused: the transport is sealed in.
	req = httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Cookie", "__Host-session="+token)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	// Two tokens in one request are ambiguous, and refused.
	req = httptest.NewRequest("GET", "/me", nil)
	req.Header.Add("Session-Token", token)
	req.Header.Add("Session-Token", "another")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// token: true cookie: false no-store
	// 200 alice
	// 401
	// 401
}
