package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/api/apiapp"
	"github.com/cookiesession/cookiesession/examples/demo/demoapp"
)

// Cookies are not kept apart by port, so each app served on 127.0.0.1
// here has a cookie name of its own, as the demo and the API example do.
const (
	apiCookie         = apiapp.CookieName
	unprotectedCookie = "__Host-unprotected"
)

// Where a request comes from, as the browser sees it. Another port of the
// same host is another origin of the same site; localhost and 127.0.0.1
// are two sites.
const (
	ownOrigin = "own origin"
	sameSite  = "same site, other port"
	otherSite = "other site (localhost)"
)

// TestCrossSiteRequestsInBrowser signs in to the demo and to the API
// example, then makes state-changing requests from pages of other origins
// and of the apps' own, and checks by reading each session before and
// after that only the apps' own requests changed it. A third app without
// CrossOriginProtection shows what SameSite=Lax alone lets through. It
// logs the table of what it saw.
func TestCrossSiteRequestsInBrowser(t *testing.T) {
	execPath := chromium(t)
	start := time.Now()
	demo := serveDemo(t)
	api := serveAPI(t)
	unprotected := serveUnprotected(t)
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>another origin</title><p>another origin")
	}))
	t.Cleanup(elsewhere.Close)
	origins := map[string]string{
		sameSite:  elsewhere.URL,
		otherSite: strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1),
	}

	b := newBrowser(t, execPath, "")
	b.do(t, chromedp.Navigate("about:blank"))
	// The apps' pages allow no script; the test's requests from their own
	// origin run with the page's Content-Security-Policy set aside.
	if _, err := chromedp.Call(b.ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}

	signIn := []csrfCase{
		{ownOrigin, demo, formPOST("/login", "user", "alice"), func(s state) state { s.User = "alice"; return s }, 0},
		{ownOrigin, api, fetchJSON("/login", `{"user": "alice"}`), func(state) state { return state{User: "alice"} }, 0},
		{ownOrigin, unprotected, formPOST("/count"), func(s state) state { s.Count++; return s }, 0},
	}
	for _, tc := range signIn {
		attempt(t, b, tc.app.url+tc.app.home, tc)
	}
	if t.Failed() {
		t.FailNow()
	}

	var rows []row
	for _, tc := range csrfCases(demo, api, unprotected) {
		from := tc.app.url + tc.app.home
		if tc.origin != ownOrigin {
			from = origins[tc.origin] + "/"
		}
		rows = append(rows, attempt(t, b, from, tc))
	}
	t.Log("\n" + table(rows))
	t.Logf("%d requests in %v", len(rows), time.Since(start).Round(time.Millisecond))
}

type csrfCase struct {
	origin string
	app    *target
	req    request
	want   func(state) state // the session after an accepted request; nil: refused, unchanged
	status int               // for a refused request, the app's answer; 0: the browser did not send it
}

func csrfCases(demo, api, unprotected *target) []csrfCase {
	count := func(s state) state { s.Count++; return s }
	addEVIL := func(s state) state { s.Cart += "EVIL×1 "; return s }
	item := `{"sku": "EVIL", "qty": 1}`
	// A text/plain form sends name=value: the JSON ends in the value.
	smuggled := formText("/cart/items", `{"sku": "EVIL", "qty": 1, "x": "`, `"}`)

	// From the apps' own origin: accepted, but for what the API refuses
	// for its Content-Type.
	cases := []csrfCase{
		{ownOrigin, demo, formPOST("/count"), count, 0},
		{ownOrigin, demo, fetchNoCORS("/count", ""), count, 0},
		{ownOrigin, api, smuggled, nil, http.StatusUnsupportedMediaType},
		{ownOrigin, api, fetchNoCORS("/cart/items", item), nil, http.StatusUnsupportedMediaType},
		{ownOrigin, api, fetchJSON("/cart/items", item), addEVIL, 0},
	}
	// From other origins: refused by CrossOriginProtection, or not sent
	// at all when the preflight finds no CORS.
	for _, origin := range []string{sameSite, otherSite} {
		cases = append(cases,
			csrfCase{origin, demo, formPOST("/count"), nil, http.StatusForbidden},
			csrfCase{origin, demo, fetchNoCORS("/count", ""), nil, http.StatusForbidden},
			csrfCase{origin, demo, formPOST("/login", "user", "mallory"), nil, http.StatusForbidden},
			csrfCase{origin, api, smuggled, nil, http.StatusForbidden},
			csrfCase{origin, api, fetchNoCORS("/cart/items", item), nil, http.StatusForbidden},
			csrfCase{origin, api, fetchJSON("/cart/items", item), nil, 0},
			csrfCase{origin, api, formPOST("/logout"), nil, http.StatusForbidden},
		)
	}
	return append(cases,
		csrfCase{ownOrigin, api, formPOST("/logout"), func(state) state { return state{} }, 0},
		// Without CrossOriginProtection, SameSite=Lax sends the cookie
		// from the same site; from another site it does not, so the app
		// counts in a new session, whose cookie replaces the user's.
		csrfCase{sameSite, unprotected, formPOST("/count"), count, 0},
		csrfCase{otherSite, unprotected, formPOST("/count"), func(state) state { return state{Count: 1} }, 0},
	)
}

// row is one line of the table: a request, what was expected, what the
// app saw and what the session held before and after.
type row struct {
	origin, kind  string
	want          string
	hits          []hit
	result        string // what the page's script saw
	before, after state
}

// attempt makes, from a page at from, the request tc.req to tc.app, and
// reads the app's session before and after through the browser. It checks
// an accepted request's effect; for a refused one, that the app answered
// tc.status (or never saw it, for 0), wrote no cookie, and that the
// browser's cookie and the session are unchanged.
func attempt(t *testing.T, b *browser, from string, tc csrfCase) row {
	t.Helper()
	app, req := tc.app, tc.req
	req.URL = app.url + req.path
	r := row{origin: tc.origin, kind: app.name + ": " + req.kind, want: "refused", before: app.lastState(t, b)}
	if tc.want != nil {
		r.want = "accepted"
	}
	cookie := app.cookieValue(t, b)
	goTo(t, b, from)
	n := app.rec.len()
	r.result = run(t, b, chromedp.Evaluate[string](fmt.Sprintf("(%s)(%s)", attackJS, mustJSON(t, req)), chromedp.EvalAwaitPromise))
	r.hits = app.rec.since(t, n, req.path, req.Form)
	post := slices.IndexFunc(r.hits, func(h hit) bool { return h.method == "POST" })
	if post >= 0 && r.hits[post].setCookie {
		app.waitForNewCookie(t, b, cookie)
	}
	r.after = app.state(t, b)
	where := fmt.Sprintf("%s from %s", req.kind, tc.origin)
	if tc.want != nil {
		if post < 0 || r.hits[post].status >= 400 {
			t.Errorf("%s: got %v, want the app to accept it", where, r.hits)
		}
		if r.after != tc.want(r.before) {
			t.Errorf("%s: session got %s, want %s", where, r.after, tc.want(r.before))
		}
		return r
	}
	switch {
	case tc.status == 0 && post >= 0:
		t.Errorf("%s: the app got %v, want the browser not to send it", where, r.hits[post])
	case tc.status != 0 && (post < 0 || r.hits[post].status != tc.status || r.hits[post].setCookie):
		t.Errorf("%s: the app got %v, want it to answer %d and write no cookie", where, r.hits, tc.status)
	}
	if after := app.cookieValue(t, b); after != cookie || r.after != r.before {
		t.Errorf("%s: session went from %s to %s (cookie changed: %v), want it unchanged", where, r.before, r.after, after != cookie)
	}
	return r
}

// table formats rows as the table the test logs.
func table(rows []row) string {
	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "origin\trequest\texpected\tseen by the app\tsession before → after")
	for _, r := range rows {
		var seen []string
		for _, h := range r.hits {
			seen = append(seen, h.String())
		}
		if !slices.ContainsFunc(r.hits, func(h hit) bool { return h.method == "POST" }) {
			seen = append(seen, "no POST ("+r.result+")")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s → %s\n", r.origin, r.kind, r.want, strings.Join(seen, "; "), r.before, r.after)
	}
	tw.Flush()
	return sb.String()
}

// serveDemo serves the demo app, as command demo does.
func serveDemo(t *testing.T) *target {
	h, err := demoapp.New(cookiesession.InsecureDevelopmentKeyRing())
	if err != nil {
		t.Fatal(err)
	}
	return newTarget(t, "demo", h, cookieName, "/", func(t *testing.T, b *browser, base string) state {
		p := readJSON[demoapp.Panel](t, b, base+"/api/session")
		return state{User: p.User, Count: p.Count}
	})
}

// serveAPI serves the API example, as command api does but for the
// cookie's name.
func serveAPI(t *testing.T) *target {
	keys, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	h, err := apiapp.New(keys, cookiesession.Config{Name: apiCookie})
	if err != nil {
		t.Fatal(err)
	}
	return newTarget(t, "api", h, apiCookie, "/me", func(t *testing.T, b *browser, base string) state {
		me := readJSON[apiapp.Me](t, b, base+"/me")
		s := state{User: me.User}
		for _, it := range me.Cart {
			s.Cart += fmt.Sprintf("%s×%d ", it.SKU, it.Qty)
		}
		return s
	})
}

// serveUnprotected serves a counter in a session with cookiesession's defaults
// but no CrossOriginProtection: what SameSite=Lax does alone.
func serveUnprotected(t *testing.T) *target {
	m, err := cookiesession.New(cookiesession.InsecureDevelopmentKeyRing(), cookiesession.Config{Name: unprotectedCookie})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /count", func(w http.ResponseWriter, r *http.Request) {
		var n int
		m.Get(r).Get("count", &n)
		json.NewEncoder(w).Encode(state{Count: n})
	})
	mux.HandleFunc("POST /count", func(w http.ResponseWriter, r *http.Request) {
		var n int
		s := m.Get(r)
		s.Get("count", &n)
		s.Set("count", n+1)
		fmt.Fprintln(w, "counted")
	})
	return newTarget(t, "unprotected", m.Handler(mux), unprotectedCookie, "/count", func(t *testing.T, b *browser, base string) state {
		return readJSON[state](t, b, base+"/count")
	})
}

// readJSON opens url in the browser and decodes the page's JSON.
func readJSON[T any](t *testing.T, b *browser, url string) T {
	t.Helper()
	goTo(t, b, url)
	return run(t, b, chromedp.Evaluate[T]("JSON.parse(document.body.textContent)"))
}

// goTo opens url in the browser, and waits until the page shows it. A
// navigation that a form started may still be under way: it can abort
// this one, or finish after it, so goTo checks where it landed and tries
// again.
func goTo(t *testing.T, b *browser, url string) {
	t.Helper()
	var err error
	for range 5 {
		if err = chromedp.Do(b.ctx, chromedp.Navigate(url)); err == nil {
			var ok bool
			ok, err = chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`location.href === %q && document.readyState === "complete"`, url)))
			if err == nil && ok {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("opening %s: %v", url, err)
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cookieValue returns the value of app's session cookie in the browser,
// or "".
func (app *target) cookieValue(t *testing.T, b *browser) string {
	t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{app.url}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == app.cookie {
			return c.Value
		}
	}
	return ""
}

// waitForNewCookie waits until the browser's cookie for app is no longer
// old: a response that set it has been taken in.
func (app *target) waitForNewCookie(t *testing.T, b *browser, old string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if app.cookieValue(t, b) != old {
			return
		}
	}
	t.Fatalf("%s set its cookie, but the browser did not take the new one in 5s", app.name)
}

// TestAnotherPortIsInsideTheCookiesBoundary shows what CrossOriginProtection
// cannot stop: another application on another port of the same host. The
// browser, opening a page there by a plain navigation (no cross-origin
// request at all), sends it the demo's session cookie, and takes the
// cookie it sets in return, of the demo's name: here the session of a
// user of its choosing (login CSRF).
func TestAnotherPortIsInsideTheCookiesBoundary(t *testing.T) {
	execPath := chromium(t)
	h, err := demoapp.New(cookiesession.InsecureDevelopmentKeyRing())
	if err != nil {
		t.Fatal(err)
	}
	demo := httptest.NewServer(h)
	t.Cleanup(demo.Close)

	// mallory signs in to the demo, as anyone may, and keeps his cookie.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(demo.URL+"/login", url.Values{"user": {"mallory"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var mallory string
	for _, c := range res.Cookies() {
		if c.Name == cookieName {
			mallory = c.Value
		}
	}
	if mallory == "" {
		t.Fatalf("mallory's sign-in: got %d %v, want a session cookie", res.StatusCode, res.Header)
	}

	// The other application on this host, on another port.
	// It records the navigation to its page; the browser's other requests
	// (its favicon) come after the cookie it sets and are not the point.
	var mu sync.Mutex
	var navigated bool
	var received, fetchSite string
	var seen []string
	neighbour := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %s (Sec-Fetch-Site %q, %d cookies)", r.Method, r.URL.Path, r.Header.Get("Sec-Fetch-Site"), len(r.Cookies())))
		if r.URL.Path == "/" && !navigated {
			navigated = true
			fetchSite = r.Header.Get("Sec-Fetch-Site")
			if c, err := r.Cookie(cookieName); err == nil {
				received = c.Value
			}
		}
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: mallory, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>another application</title><p>another application on this host")
	}))
	t.Cleanup(neighbour.Close)

	b := newBrowser(t, execPath, demo.URL)
	b.open(t, "/")
	b.do(t, chromedp.SendKeys(chromedp.CSS("#user"), "alice"))
	b.submit(t, "#login")
	alice := b.cookie(t)
	if alice == nil || b.text(t, "#who") != "alice" {
		t.Fatalf("alice's sign-in: got cookie %v and user %q, want alice signed in", alice != nil, b.text(t, "#who"))
	}

	goTo(t, b, neighbour.URL+"/")
	mu.Lock()
	got, site, requests := received, fetchSite, seen
	mu.Unlock()
	if !navigated {
		t.Fatalf("the page on another port: no navigation to it reached the server; it saw %q", requests)
	}
	if got != alice.Value {
		t.Errorf("the page on another port: got the demo's cookie %v, want alice's session cookie sent to it; the server saw %q", got != "", requests)
	}
	if site != "none" {
		t.Errorf("the page on another port: got Sec-Fetch-Site %q, want none (a navigation the user made)", site)
	}
	if c := b.cookie(t); c == nil || c.Value != mallory {
		t.Errorf("after the page on another port: got a cookie other than the one it set, want mallory's in the demo's place")
	}
	b.open(t, "/")
	if who := b.text(t, "#who"); who != "mallory" {
		t.Errorf("back on the demo: got user %q, want mallory, signed in by the other port", who)
	}
}
