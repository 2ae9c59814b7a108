package cookiesession_test

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/cookiesession/cookiesession"
)

// A session that keeps a sign-in's tokens outgrows one cookie. With
// MaxCookies it is split over the cookie called Name and its chunks; a
// write past MaxSize is refused and the session keeps what it had; a
// session that shrinks deletes the chunks it no longer uses.
func ExampleConfig_maxCookies() {
	// The published development key: do not use it outside examples.
	m, err := cookiesession.New(cookiesession.InsecureDevelopmentKeyRing(), cookiesession.Config{
		Name:       "__Host-app",
		MaxCookies: 3,
		MaxSize:    8192,
	})
	if err != nil {
		log.Fatal(err)
	}
	token := strings.Repeat("t", 5000) // an ID token with many group claims
	app := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Get(r)
		switch r.URL.Path {
		case "/sign-in":
			s.Set("user", "alice")
			s.Set("id_token", token)
		case "/too-much":
			err := s.Set("id_token", token+token)
			fmt.Println("refused:", errors.Is(err, cookiesession.ErrTooLarge))
		case "/drop-token":
			s.Delete("id_token")
		}
		var got string
		s.Get("id_token", &got)
		fmt.Println("holds", len(got), "bytes")
	}))
	serve := func(path string, cookies []*http.Cookie) []*http.Cookie {
		r := httptest.NewRequest("GET", path, nil)
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		app.ServeHTTP(w, r)
		for _, c := range w.Result().Cookies() {
			if c.MaxAge < 0 {
				fmt.Println(" deletes", c.Name)
			} else {
				fmt.Println(" sets", c.Name, len(c.Name)+len(c.Value), "bytes")
			}
		}
		return w.Result().Cookies()
	}

	jar := serve("/sign-in", nil)
	serve("/", jar)
	serve("/too-much", jar)
	serve("/drop-token", jar)
	// Output:
	// holds 5000 bytes
	//  sets __Host-app 4096 bytes
	//  sets __Host-app.1 2750 bytes
	// holds 5000 bytes
	// refused: true
	// holds 5000 bytes
	// holds 0 bytes
	//  sets __Host-app 149 bytes
	//  deletes __Host-app.1
}

// InspectChunks opens a session split over several cookies, given the
// values in the order of their names: Name, Name.1, Name.2.
func ExampleKeyRing_InspectChunks() {
	// The published development key: do not use it outside examples.
	keys := cookiesession.InsecureDevelopmentKeyRing()
	m, err := cookiesession.New(keys, cookiesession.Config{MaxCookies: 3})
	if err != nil {
		log.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := m.Get(r).Set("groups", strings.Repeat("g", 4000)); err != nil {
			log.Fatal(err)
		}
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	var values []string
	for _, c := range rec.Result().Cookies() {
		values = append(values, c.Value)
	}

	c, err := keys.InspectChunks("__Host-session", values, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Version, c.Cookies, len(c.Values["groups"]))

	// Without its last chunk the session does not open.
	_, err = keys.InspectChunks("__Host-session", values[:1], time.Now())
	var ie *cookiesession.InvalidError
	if errors.As(err, &ie) {
		fmt.Println(ie.Reason)
	}
	// Output:
	// 3 2 4002
	// chunks
}
