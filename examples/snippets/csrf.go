package snippets

import (
	"net/http"

	"github.com/cookiesession/cookiesession"
)

// sameSiteAPI is the README's order of the two middlewares.
func sameSiteAPI(mux *http.ServeMux) http.Handler {
	csrf := http.NewCrossOriginProtection()
	handler := csrf.Handler(sessions.Handler(mux)) // a refused request never reaches the session
	return handler
}

// newCrossSiteSessions returns the sessions of an API called from the
// pages of another site.
func newCrossSiteSessions(keys *cookiesession.KeyRing) (*cookiesession.Manager, error) {
	return cookiesession.New(keys, cookiesession.Config{
		SameSite:    http.SameSiteNoneMode, // sent on cross-site requests; needs Secure, the default
		Partitioned: true,                  // kept in a jar of the top-level site
	})
}

// crossSiteAPI serves mux to the pages of https://app.example.net, a site
// other than the API's own, which call it with
// fetch(url, {credentials: "include"}).
func crossSiteAPI(sessions *cookiesession.Manager, mux http.Handler) (http.Handler, error) {
	const app = "https://app.example.net"
	csrf := http.NewCrossOriginProtection()
	if err := csrf.AddTrustedOrigin(app); err != nil {
		return nil, err
	}
	return withCORS(app, csrf.Handler(sessions.Handler(mux))), nil
}

// withCORS lets the pages of origin, and of no other, call next with
// credentials and read its answers.
func withCORS(origin string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		if r.Header.Get("Origin") != origin {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin) // the origin by name: never "*", never echoed
		h.Set("Access-Control-Allow-Credentials", "true")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var _, _, _ = sameSiteAPI, newCrossSiteSessions, crossSiteAPI
