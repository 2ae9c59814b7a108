// Package snippets holds the README's code fragments that are not whole
// programs, so that they keep compiling.
package snippets

import (
	"net/http"

	"github.com/cookiesession/cookiesession"
)

var sessions *cookiesession.Manager

func login(w http.ResponseWriter, r *http.Request) {
	s := sessions.Get(r)
	s.Regenerate() // a new ID at every privilege change: no session fixation
	s.Clear()      // and nothing from before login: on a shared browser, another user's
	s.SetPersistent(r.PostFormValue("remember") == "on")
	if err := s.Set("user", r.PostFormValue("user")); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := s.Flash("info", "Welcome back"); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

var _ = login
