package after

import (
	"encoding/gob"
	"net/http"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/gorilla/site"
)

func init() { gob.Register(site.User{}) } // to read before's cookies, until migration ends

// New returns the application.
func New(keys *cookiesession.KeyRing, hashKey, blockKey []byte, until time.Time) (http.Handler, error) {
	store, err := cookiesession.New(keys, cookiesession.Config{Migrate: &cookiesession.GorillaCookie{
		Name: "session", KeyPairs: [][]byte{hashKey, blockKey}, Until: until,
	}})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s := store.Get(r)
		var user site.User
		var visits int
		s.Get("user", &user)
		s.Get("visits", &visits)
		flashes := s.Flashes("info")
		if err := s.Set("visits", visits+1); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		site.Render(w, site.Page{User: user, Visits: visits + 1, Flashes: flashes})
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := store.Get(r)
		s.Regenerate() // a new ID at login: no session fixation
		s.Clear()      // and nothing of whoever used this browser before
		s.Flash("info", "Welcome, "+r.FormValue("name"))
		if err := s.Set("user", site.User{Name: r.FormValue("name")}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s := store.Get(r)
		s.Destroy()
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	return store.Handler(mux), nil
}
