package cookiesession_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/gorilla/securecookie"
)

func ExampleGorillaCookie() {
	// The keys the old application gave sessions.NewCookieStore, loaded as
	// it loads them; the fresh keys of the new key ring.
	hashKey, blockKey := cookiesession.GenerateKey(), cookiesession.GenerateKey()
	keys, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
	if err != nil {
		log.Fatal(err)
	}

	m, err := cookiesession.New(keys, cookiesession.Config{
		Migrate: &cookiesession.GorillaCookie{
			Name:     "session", // as in store.Get(r, "session")
			KeyPairs: [][]byte{hashKey, blockKey},
			Until:    time.Now().Add(30 * 24 * time.Hour), // the switch, plus the old MaxAge
		},
		OnInvalid: func(r *http.Request, err error) { fmt.Println("OnInvalid:", err) },
	})
	if err != nil {
		log.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Get(r)
		var visits int
		s.Get("visits", &visits)
		fmt.Println("visits:", visits, "new:", s.IsNew())
	}))

	// A cookie as the old application's CookieStore saved it, with a
	// complex number, which JSON cannot hold.
	legacy, err := securecookie.EncodeMulti("session", map[interface{}]interface{}{
		"visits": 3,
		"ratio":  complex(1, 2),
	}, securecookie.CodecsFromPairs(hashKey, blockKey)...)
	if err != nil {
		log.Fatal(err)
	}

	req := httptest.NewRequest("GET", "https://example.com/", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: legacy})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	for _, line := range rec.Result().Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, "__Host-session=") {
			line = "__Host-session=…" // the new cookie, sealed
		}
		fmt.Println("Set-Cookie:", line)
	}
	fmt.Printf("migrated: %d, dropped: %d\n", m.Stats().Migrated, m.Stats().Dropped)
	// Output:
	// OnInvalid: cookiesession: legacy cookie values not carried: "ratio": JSON cannot represent complex128
	// visits: 3 new: false
	// Set-Cookie: __Host-session=…
	// Set-Cookie: session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Lax
	// migrated: 1, dropped: 1
}
