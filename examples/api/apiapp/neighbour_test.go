package apiapp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/api/apiapp"
	"github.com/cookiesession/cookiesession/examples/demo/demoapp"
)

// TestDemoSessionIsNotTheAPIs runs the demo and the API side by side on
// 127.0.0.1, as `go run ./examples/demo` and `go run ./examples/api` do,
// with the same development key and one browser's cookie jar, which
// ignores ports: each keeps a session of its own.
func TestDemoSessionIsNotTheAPIs(t *testing.T) {
	keys := cookiesession.InsecureDevelopmentKeyRing()
	api := newServer(t, keys)
	h, err := demoapp.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	demo := httptest.NewTLSServer(h) // httptest's certificate, which api's client trusts
	t.Cleanup(demo.Close)
	demoURL, _ := url.Parse(demo.URL)
	if demoURL.Hostname() != api.url.Hostname() || demoURL.Port() == api.url.Port() {
		t.Fatalf("demo on %s, API on %s: want one host, two ports", demoURL.Host, api.url.Host)
	}
	browser := api.cookieClient()
	browser.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	demoCookie := func() string {
		for _, k := range browser.http.Jar.Cookies(demoURL) {
			if k.Name == demoapp.CookieName {
				return k.Value
			}
		}
		return ""
	}
	demoUser := func() string {
		res, err := browser.http.Get(demo.URL + "/api/session")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var p demoapp.Panel
		if b, err := io.ReadAll(res.Body); err != nil || json.Unmarshal(b, &p) != nil {
			t.Fatalf("demo's GET /api/session: %v %s", err, b)
		}
		return p.User
	}

	// Signed in to the demo under a name the API's own login refuses.
	const name = "Zoë O'Brien"
	res, err := browser.http.PostForm(demo.URL+"/login", url.Values{"user": {name}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	value := demoCookie()
	if res.StatusCode != http.StatusSeeOther || value == "" || demoUser() != name {
		t.Fatalf("demo login: got %d, cookie %v, user %q; want 303 and %s signed in", res.StatusCode, value != "", demoUser(), name)
	}
	checkError(t, browser.call("POST", "/login", `{"user": "`+name+`"}`), http.StatusBadRequest, `"user"`)

	// The API does not read the demo's cookie.
	checkError(t, browser.call("GET", "/me", ""), http.StatusUnauthorized, "not signed in")
	api.hook.checkReason(t, "")

	// Nor does it open the demo's cookie under its own name: the name is
	// sealed in.
	plain := *api.ts.Client()
	plain.Jar = nil
	stranger := &client{t: t, srv: api, http: &plain}
	req := stranger.request("GET", "/me", "")
	req.Header.Set("Cookie", apiapp.CookieName+"="+value)
	checkError(t, stranger.do(req), http.StatusUnauthorized, "not signed in")
	api.hook.checkReason(t, cookiesession.ReasonAuth)

	// Signing in to the API and out again leaves the demo's session as it was.
	browser.login("alice")
	browser.ok("POST", "/cart/items", `{"sku": "A-1", "qty": 1}`)
	if res := browser.call("POST", "/logout", ""); res.StatusCode != http.StatusNoContent {
		t.Fatalf("API logout: got %d, want 204", res.StatusCode)
	}
	if got := demoCookie(); got != value {
		t.Errorf("demo's cookie: got it deleted (%v) or replaced by the API, want it untouched", got == "")
	}
	if got := demoUser(); got != name {
		t.Errorf("demo's user after the API's login and logout: got %q, want %q", got, name)
	}
}
