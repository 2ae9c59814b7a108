package oidcapp

import (
	"bytes"
	"embed"
	"html/template"
	"log"
	"net/http"
	"strconv"
	"time"

	"github.com/cookiesession/cookiesession"
)

//go:embed templates/pages.html
var files embed.FS

var pages = template.Must(template.ParseFS(files, "templates/pages.html"))

// homeView is what the home page shows.
type homeView struct {
	SignedIn     bool
	User         user
	Groups       []string
	AccessExpiry time.Time
	Refreshes    int
	Size, Limit  int           // the session's cookies' size and the most they may take
	Cookies      int           // how many cookies the session takes
	Every        time.Duration // RevalidateEvery
}

// render writes the page name with status, or a plain 500 if the page
// cannot be rendered.
func render(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		log.Printf("oidc: rendering %s: %v", name, err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	b.WriteTo(w)
}

// cookiesFor is how many cookies a session of size bytes takes: all but
// the last are full (cookiesession.Session.Size).
func cookiesFor(size int) int {
	return (size + cookiesession.MaxCookieSize - 1) / cookiesession.MaxCookieSize
}

// fail answers with an error page.
func (a *App) fail(w http.ResponseWriter, status int, title, detail string) {
	render(w, status, "error", struct{ Title, Detail string }{title, detail})
}
