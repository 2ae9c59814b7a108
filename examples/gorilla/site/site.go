// Package site is what the two versions of the example application share:
// the user kept in the session, the page, and how commands before and
// after serve them. Package before is the application on
// gorilla/sessions; package after, the same application on cookiesession,
// which reads before's cookies.
package site

import (
	"html/template"
	"net/http"
)

// User is the signed-in user, kept in the session. The gorilla version
// registers it with gob; JSON needs nothing.
type User struct {
	Name string `json:"name"`
}

// Page is what the home page shows.
type Page struct {
	User    User
	Visits  int
	Flashes any // []interface{} from gorilla, []string from cookiesession
}

var home = template.Must(template.New("home").Parse(`<!doctype html>
<title>Example</title>
{{range .Flashes}}<p class="flash">{{.}}</p>
{{end -}}
{{if .User.Name}}<p>Signed in as <b>{{.User.Name}}</b>.</p>
<form method="post" action="/logout"><button>Sign out</button></form>
{{else}}<form method="post" action="/login"><input name="name"><button>Sign in</button></form>
{{end -}}
<p>Visits: {{.Visits}}</p>
`))

// Render writes p as the home page.
func Render(w http.ResponseWriter, p Page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := home.Execute(w, p); err != nil {
		http.Error(w, "cannot render the page", http.StatusInternalServerError)
	}
}
