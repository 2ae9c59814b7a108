// Package demoapp is the web app of the cookiesession demo: sign in, count,
// and keep notes until the session cookie is full, with a panel that shows
// what the cookie holds. Command demo (the parent directory) serves it; the
// browser tests in the e2e module serve it in-process, which is why it is a
// package of its own.
package demoapp

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cookiesession/cookiesession"
)

// CookieName is the demo's session cookie. Each application on a host
// needs a name of its own: cookies ignore ports, so the demo and the API
// example, both on 127.0.0.1, would otherwise read and overwrite each
// other's sessions.
const CookieName = "__Host-demo"

// The demo splits a session over up to three cookies, all of them full:
// it serves browsers directly, with no proxy in front whose header limits
// would call for a smaller MaxSize (see the README's "Sessions over 4 KB").
const (
	maxCookies = 3
	maxSize    = maxCookies * cookiesession.MaxCookieSize
)

const (
	maxUserLen   = 40   // characters in a user name
	maxNoteLen   = 1000 // characters in one note
	maxFormBytes = 8 << 10
)

//go:embed templates static
var files embed.FS

// app serves the demo's pages.
type app struct {
	sessions *cookiesession.Manager
	primary  string // ID of the key that seals
	devKey   bool   // whether keys is the published development ring
	page     *template.Template
}

// New returns the demo's handler. Sessions are sealed under keys' primary
// key with cookiesession's default configuration (the secure one) but for
// the cookie's name, CookieName, and a session may take up to three
// cookies. POST requests from other origins are refused.
func New(keys *cookiesession.KeyRing) (http.Handler, error) {
	m, err := cookiesession.New(keys, cookiesession.Config{Name: CookieName, MaxCookies: maxCookies, MaxSize: maxSize})
	if err != nil {
		return nil, err
	}
	page, err := template.New("home.html").Funcs(funcs).ParseFS(files, "templates/home.html")
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	a := &app{
		sessions: m,
		primary:  keys.PrimaryID(),
		devKey:   keys.PrimaryID() == cookiesession.InsecureDevelopmentKeyRing().PrimaryID(),
		page:     page,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /api/session", a.api)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("POST /count", a.count)
	mux.HandleFunc("POST /notes", a.addNote)
	mux.HandleFunc("POST /notes/clear", a.clearNotes)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	return securityHeaders(http.NewCrossOriginProtection().Handler(m.Handler(mux))), nil
}

// home renders the page. Flashes are consumed here, before anything is
// written, so that the response can still carry the changed cookie.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	s := a.sessions.Get(r)
	a.render(w, r, http.StatusOK, view{
		Infos:  s.Flashes("info"),
		Errors: s.Flashes("error"),
	})
}

// api returns the session panel as JSON. It consumes no flash.
func (a *app) api(w http.ResponseWriter, r *http.Request) {
	p, err := a.panel(a.sessions.Get(r))
	if err != nil {
		serverError(w, err)
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		serverError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// login signs a user in: a new session ID (against session fixation),
// none of the previous session's values (on a shared browser, another
// user's notes), a persistent cookie or a browser-session one, and a
// welcome flash.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	user := strings.TrimSpace(r.PostFormValue("user"))
	remember := r.PostFormValue("remember") != ""
	if msg := checkUser(user); msg != "" {
		a.render(w, r, http.StatusUnprocessableEntity, view{Errors: []string{msg}, User: user, Remember: remember})
		return
	}
	s := a.sessions.Get(r)
	s.Regenerate()
	s.Clear()
	s.SetPersistent(remember)
	if err := s.Set("user", user); err != nil {
		a.refuse(w, r, err, view{User: user, Remember: remember})
		return
	}
	// A full session skips the welcome: signing in matters more.
	if err := s.Flash("info", "Welcome, "+user+"!"); err != nil && !errors.Is(err, cookiesession.ErrTooLarge) {
		serverError(w, err)
		return
	}
	seeOther(w, r)
}

// logout ends the session; the response deletes the cookie. The flash
// travels in a new, short-lived session that the next page consumes.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	s := a.sessions.Get(r)
	s.Destroy()
	if err := s.Flash("info", "Signed out: the session cookie is gone."); err != nil {
		serverError(w, err)
		return
	}
	seeOther(w, r)
}

func (a *app) count(w http.ResponseWriter, r *http.Request) {
	s := a.sessions.Get(r)
	var n int
	if _, err := s.Get("count", &n); err != nil {
		serverError(w, err)
		return
	}
	if err := s.Set("count", n+1); err != nil {
		a.refuse(w, r, err, view{})
		return
	}
	seeOther(w, r)
}

// addNote appends a note. When the cookie would outgrow what a browser
// stores, Set refuses and leaves the session as it was: the page says so
// with 422, and the browser keeps its previous cookie.
func (a *app) addNote(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if msg := checkNote(note); msg != "" {
		a.render(w, r, http.StatusUnprocessableEntity, view{Errors: []string{msg}, Note: note})
		return
	}
	s := a.sessions.Get(r)
	var notes []string
	if _, err := s.Get("notes", &notes); err != nil {
		serverError(w, err)
		return
	}
	if err := s.Set("notes", append(notes, note)); err != nil {
		a.refuse(w, r, err, view{Note: note})
		return
	}
	seeOther(w, r)
}

func (a *app) clearNotes(w http.ResponseWriter, r *http.Request) {
	s := a.sessions.Get(r)
	if s.Has("notes") {
		s.Delete("notes")
		if err := s.Flash("info", "Notes cleared."); err != nil {
			serverError(w, err)
			return
		}
	}
	seeOther(w, r)
}

// refuse renders the page with 422 when err is a refused write, keeping
// what the user typed in v; any other error is a server error.
func (a *app) refuse(w http.ResponseWriter, r *http.Request, err error, v view) {
	var se *cookiesession.SizeError
	if !errors.As(err, &se) {
		serverError(w, err)
		return
	}
	what, outcome := "that change", "nothing was changed. Clear your notes to make room."
	if v.Note != "" {
		what, outcome = "that note", "your previous notes are kept."
	}
	v.Errors = append(v.Errors, fmt.Sprintf("Session full: %s would make the cookies %d bytes, over the %d-byte limit of three; %s",
		what, se.Size, se.Limit, outcome))
	a.render(w, r, http.StatusUnprocessableEntity, v)
}

// render writes the page with status. The whole page is rendered into a
// buffer first: by the time a byte is written, the session is final.
func (a *app) render(w http.ResponseWriter, r *http.Request, status int, v view) {
	p, err := a.panel(a.sessions.Get(r))
	if err != nil {
		serverError(w, err)
		return
	}
	v.Panel = p
	v.DevKey = a.devKey
	var buf bytes.Buffer
	if err := a.page.Execute(&buf, v); err != nil {
		serverError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func checkUser(user string) string {
	switch {
	case user == "":
		return "Type a name to sign in."
	case !utf8.ValidString(user) || strings.ContainsFunc(user, unicode.IsControl):
		return "That name has characters a name cannot have."
	case utf8.RuneCountInString(user) > maxUserLen:
		return fmt.Sprintf("Names are at most %d characters.", maxUserLen)
	}
	return ""
}

func checkNote(note string) string {
	switch {
	case note == "":
		return "Write something first."
	case !utf8.ValidString(note):
		return "That note is not valid text."
	case utf8.RuneCountInString(note) > maxNoteLen:
		return fmt.Sprintf("Notes are at most %d characters.", maxNoteLen)
	}
	return ""
}

// parseForm reads a small form body, answering 413 or 400 itself when it
// cannot.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "form too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "bad form", http.StatusBadRequest)
		}
		return false
	}
	return true
}

// seeOther ends a successful POST with a redirect home, so that reloading
// the page does not post the form again.
func seeOther(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func serverError(w http.ResponseWriter, err error) {
	log.Printf("demo: %v", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// securityHeaders adds the headers every page of the demo should carry.
// The CSP allows only this origin's stylesheet and images, no script.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}
