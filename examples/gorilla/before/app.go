package before

import (
	"encoding/gob"
	"net/http"

	"github.com/cookiesession/cookiesession/examples/gorilla/site"
	"github.com/gorilla/sessions"
)

func init() { gob.Register(site.User{}) }

// New returns the application.
func New(hashKey, blockKey []byte) http.Handler {
	store := sessions.NewCookieStore(hashKey, blockKey)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, "session")
		user, _ := s.Values["user"].(site.User)
		visits, _ := s.Values["visits"].(int)
		flashes := s.Flashes()
		s.Values["visits"] = visits + 1
		if err := s.Save(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		site.Render(w, site.Page{User: user, Visits: visits + 1, Flashes: flashes})
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, "session")
		s.Values["user"] = site.User{Name: r.FormValue("name")}
		s.AddFlash("Welcome, " + r.FormValue("name"))
		if err := s.Save(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, "session")
		s.Options.MaxAge = -1
		if err := s.Save(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	return mux
}
