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

// userDB stands for the application's database: each user's generation,
// raised whenever the user must be signed out everywhere (a password
// change, "sign out all devices", an account disabled).
type userDB struct {
	generation map[string]int
	down       bool
}

func (db *userDB) generationOf(user string) (int, error) {
	if db.down {
		return 0, errors.New("database unreachable")
	}
	return db.generation[user], nil
}

// Revalidate compares the generation sealed in the session at login with
// the database's. Here it runs on every request; with RevalidateEvery set
// (say time.Minute), at most once per interval per session.
//
// When the database cannot answer, the hook keeps the session only while
// the last check that passed is recent, and ends it after that: an outage
// then lets a revoked session live 15 minutes at most. With
// RevalidateEvery zero, as here, no check is recorded and RevalidatedAt is
// the login.
func ExampleConfig_revalidate() {
	db := &userDB{generation: map[string]int{"alice": 1}}
	now := time.Now // the hook's clock, moved forward below; a service uses time.Now

	keys, err := cookiesession.NewKeyRing(cookiesession.GenerateKey()) // KeyRingFromEnv in a real service
	if err != nil {
		log.Fatal(err)
	}
	m, err := cookiesession.New(keys, cookiesession.Config{
		Revalidate: func(r *http.Request, s *cookiesession.Session) error {
			var user string
			var gen int
			if ok, _ := s.Get("user", &user); !ok {
				return nil // nobody signed in: nothing to check
			}
			s.Get("gen", &gen)
			current, err := db.generationOf(user)
			if err != nil && now().Sub(s.RevalidatedAt()) < 15*time.Minute {
				// Could not ask: keep the session, ask on the next request.
				return fmt.Errorf("%w: %w", cookiesession.ErrRevalidateLater, err)
			}
			if err != nil {
				return fmt.Errorf("unchecked for too long: %w", err) // fail closed
			}
			if gen != current {
				return errors.New("signed out everywhere")
			}
			return nil
		},
		OnInvalid: func(r *http.Request, err error) {
			fmt.Println("session ended:", err)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Get(r)
		if r.Method == http.MethodPost {
			s.Regenerate()
			s.Set("user", "alice")
			s.Set("gen", db.generation["alice"])
			return
		}
		var user string
		s.Get("user", &user)
		fmt.Printf("user %q\n", user)
	}))
	login := func() *http.Cookie {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/login", nil))
		return rec.Result().Cookies()[0]
	}
	get := func(c *http.Cookie) {
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(c)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}

	cookie := login()
	get(cookie)

	db.down = true
	get(cookie) // kept while the database cannot answer
	now = func() time.Time { return time.Now().Add(time.Hour) }
	get(cookie) // an hour into the outage: ended

	db.down, now = false, time.Now
	cookie = login()
	db.generation["alice"]++ // alice changes her password on another device
	get(cookie)
	// Output:
	// user "alice"
	// user "alice"
	// session ended: cookiesession: invalid cookie: revalidation failed: unchecked for too long: database unreachable
	// user ""
	// session ended: cookiesession: invalid cookie: revalidation failed: signed out everywhere
	// user ""
}
