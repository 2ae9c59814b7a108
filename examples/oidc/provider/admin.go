package provider

import (
	"html/template"
	"net/http"
)

var adminPage = template.Must(template.New("admin").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Provider admin</title></head>
<body>
<h1>Provider admin</h1>
<p>What an administrator of the identity provider can do. The application
notices at its next check of the session (Config.RevalidateEvery).</p>
<table>
<tr><th>user</th><th>groups</th><th>state</th><th></th></tr>
{{range .}}<tr id="user-{{.Username}}">
<td>{{.Username}}</td><td>{{len .Groups}}</td><td class="state">{{if .Disabled}}disabled{{else}}enabled{{end}}</td>
<td>
<form method="post" action="/admin/revoke"><input type="hidden" name="user" value="{{.Username}}"><button id="revoke-{{.Username}}">Revoke sessions</button></form>
<form method="post" action="/admin/{{if .Disabled}}enable{{else}}disable{{end}}"><input type="hidden" name="user" value="{{.Username}}"><button id="toggle-{{.Username}}">{{if .Disabled}}Enable{{else}}Disable{{end}}</button></form>
</td></tr>
{{end}}</table>
</body>
</html>
`))

// adminHandler serves the admin page: GET /admin lists the users; POST
// /admin/revoke, /admin/disable and /admin/enable, with the form field
// user, act on one. Cross-origin posts are refused.
func adminHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) {
		type row struct {
			User
			Disabled bool
		}
		var rows []row
		for _, u := range []User{Alice, Bob} {
			rows = append(rows, row{u, p.Disabled(u.Username)})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		adminPage.Execute(w, rows)
	})
	act := func(f func(user string) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if err := f(r.PostFormValue("user")); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			http.Redirect(w, r, "/admin", http.StatusSeeOther)
		}
	}
	mux.Handle("POST /admin/revoke", act(p.RevokeGrants))
	mux.Handle("POST /admin/disable", act(func(u string) error { return p.SetDisabled(u, true) }))
	mux.Handle("POST /admin/enable", act(func(u string) error { return p.SetDisabled(u, false) }))
	return http.NewCrossOriginProtection().Handler(mux)
}
