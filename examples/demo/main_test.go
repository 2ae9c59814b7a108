package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/demo/demoapp"
)

// client is a user agent with a cookie jar that does not follow redirects,
// so each response's status and Set-Cookie can be checked.
type client struct {
	t    *testing.T
	base *url.URL
	c    *http.Client
}

// newClient serves the demo over TLS (the cookie is Secure) and returns a
// client for it.
func newClient(t *testing.T) *client {
	t.Helper()
	h, err := demoapp.New(cookiesession.InsecureDevelopmentKeyRing())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(h)
	t.Cleanup(ts.Close)
	c := ts.Client()
	c.Jar, _ = cookiejar.New(nil)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	base, _ := url.Parse(ts.URL)
	return &client{t: t, base: base, c: c}
}

type response struct {
	*http.Response
	body string
}

func (c *client) do(req *http.Request) response {
	c.t.Helper()
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{res, string(b)}
}

func (c *client) get(path string) response {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base.String()+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values) response {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base.String()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// postOK posts and expects the redirect home that ends a successful POST.
func (c *client) postOK(path string, form url.Values) response {
	c.t.Helper()
	res := c.post(path, form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		c.t.Fatalf("POST %s: got %d to %q, want 303 to /; body:\n%s", path, res.StatusCode, res.Header.Get("Location"), res.body)
	}
	return res
}

// cookie returns the session cookie's value in the jar, or "".
func (c *client) cookie() string { return c.cookies()[demoapp.CookieName] }

// cookies returns the session's cookies in the jar, by name: the cookie
// called demoapp.CookieName and its chunks.
func (c *client) cookies() map[string]string {
	m := map[string]string{}
	for _, k := range c.c.Jar.Cookies(c.base) {
		if k.Name == demoapp.CookieName || strings.HasPrefix(k.Name, demoapp.CookieName+".") {
			m[k.Name] = k.Value
		}
	}
	return m
}

// size returns the bytes of names and values of the session's cookies in
// the jar, and fails if one of them is larger than a browser stores.
func (c *client) size() int {
	c.t.Helper()
	n := 0
	for name, v := range c.cookies() {
		if len(name)+len(v) > cookiesession.MaxCookieSize {
			c.t.Errorf("cookie %s is %d bytes, over the browser's limit", name, len(name)+len(v))
		}
		n += len(name) + len(v)
	}
	return n
}

func (c *client) panel() demoapp.Panel {
	c.t.Helper()
	res := c.get("/api/session")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		c.t.Fatalf("GET /api/session: got %d %q, want 200 application/json", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var p demoapp.Panel
	if err := json.Unmarshal([]byte(res.body), &p); err != nil {
		c.t.Fatalf("GET /api/session: %v in %s", err, res.body)
	}
	return p
}

// setCookie returns the response's Set-Cookie for the session, or nil.
func setCookie(res response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == demoapp.CookieName {
			return c
		}
	}
	return nil
}

func TestAnonymousVisitSetsNoCookie(t *testing.T) {
	c := newClient(t)
	res := c.get("/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /: got %d, want 200", res.StatusCode)
	}
	if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("GET /: got Set-Cookie %q, want none for an empty session", sc)
	}
	for _, want := range []string{`id="login"`, "No cookie: an empty session sets none.", "Development key."} {
		if !strings.Contains(res.body, want) {
			t.Errorf("GET /: page lacks %q", want)
		}
	}
	p := c.panel()
	if !p.New || p.Cookie || p.User != "" || p.MaxSize != 3*cookiesession.MaxCookieSize || len(p.Cookies) != 0 {
		t.Errorf("panel: got %+v, want a new session with no cookie", p)
	}
}

func TestLoginCountFlashLogout(t *testing.T) {
	c := newClient(t)

	res := c.postOK("/login", url.Values{"user": {"alice"}, "remember": {"on"}})
	sc := setCookie(res)
	if sc == nil || sc.MaxAge <= 0 || !sc.HttpOnly || !sc.Secure || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" {
		t.Fatalf("login with remember: got Set-Cookie %v, want a persistent HttpOnly Secure SameSite=Lax cookie on /", sc)
	}

	home := c.get("/")
	if n := strings.Count(home.body, "Welcome, alice!"); n != 1 {
		t.Errorf("first page after login shows the welcome %d times, want 1", n)
	}
	if !strings.Contains(home.body, `<strong id="who">alice</strong>`) {
		t.Errorf("page after login does not greet alice")
	}
	if again := c.get("/"); strings.Contains(again.body, "Welcome") {
		t.Errorf("the welcome flash was shown twice")
	}

	c.postOK("/count", nil)
	c.postOK("/count", nil)
	p := c.panel()
	if p.User != "alice" || p.Count != 2 || p.New || !p.Persistent || p.KeyID != p.PrimaryKey || !p.Cookie {
		t.Errorf("panel after login and two counts: got %+v", p)
	}
	if p.Size <= 0 || p.Size > cookiesession.MaxCookieSize || p.Size != c.size() || len(p.Cookies) != 1 || p.Cookies[0].Size != p.Size {
		t.Errorf("panel size: got %d in %v, want the cookie's %d bytes", p.Size, p.Cookies, c.size())
	}

	id := p.ID
	res = c.postOK("/logout", nil)
	if sc := setCookie(res); sc == nil {
		t.Fatalf("logout: no Set-Cookie")
	}
	out := c.get("/")
	if !strings.Contains(out.body, "Signed out") {
		t.Errorf("page after logout lacks the signed-out flash")
	}
	if sc := setCookie(out); sc == nil || sc.MaxAge >= 0 {
		t.Errorf("page after logout: got Set-Cookie %v, want the cookie deleted", sc)
	}
	if cs := c.cookies(); len(cs) != 0 {
		t.Errorf("cookies still in the jar after logout: %v", cs)
	}
	if p := c.panel(); p.User != "" || p.Count != 0 || !p.New || p.ID == id {
		t.Errorf("panel after logout: got %+v, want a new empty session", p)
	}
}

func TestLoginWithoutRememberSetsBrowserSessionCookie(t *testing.T) {
	c := newClient(t)
	res := c.postOK("/login", url.Values{"user": {"bob"}})
	sc := setCookie(res)
	if sc == nil || sc.MaxAge != 0 || !sc.Expires.IsZero() {
		t.Fatalf("login without remember: got Set-Cookie %v, want no Max-Age or Expires", sc)
	}
	if p := c.panel(); p.Persistent || p.User != "bob" {
		t.Errorf("panel: got %+v, want bob in a browser-session cookie", p)
	}
}

// TestLoginStartsEmpty checks that signing in starts a session of its own:
// a new ID (against session fixation), and nothing of the session before,
// which on a shared browser is another user's.
func TestLoginStartsEmpty(t *testing.T) {
	c := newClient(t)
	c.postOK("/login", url.Values{"user": {"alice"}})
	c.get("/")
	c.postOK("/notes", url.Values{"note": {"alice's diary"}})
	c.postOK("/count", nil)
	alice := c.panel()
	if alice.User != "alice" || len(alice.Notes) != 1 || alice.Count != 1 {
		t.Fatalf("alice: got %+v, want one note and a count of 1", alice)
	}

	c.postOK("/login", url.Values{"user": {"bob"}})
	home := c.get("/")
	bob := c.panel()
	if bob.User != "bob" || bob.ID == alice.ID || len(bob.Notes) != 0 || bob.Count != 0 {
		t.Errorf("bob, after alice on the same browser: got %+v, want a new ID, no notes and a count of 0", bob)
	}
	if strings.Contains(home.body, "diary") {
		t.Errorf("bob's page shows alice's note")
	}
}

var sessionFull = regexp.MustCompile(`Session full: that note would make the cookies (\d+) bytes, over the 12288-byte limit of three; your previous notes are kept\.`)

func TestNotesUntilRefused(t *testing.T) {
	c := newClient(t)
	c.postOK("/login", url.Values{"user": {"dave"}})
	var kept []string
	most := 0 // the most cookies the session took
	for i := range 80 {
		note := fmt.Sprintf("note %d: %s", i+1, strings.Repeat("lorem ipsum ", 25))
		before := c.cookies()
		res := c.post("/notes", url.Values{"note": {note}})
		if res.StatusCode == http.StatusSeeOther {
			kept = append(kept, strings.TrimSpace(note))
			p := c.panel()
			if p.Size != c.size() || len(p.Cookies) != len(c.cookies()) {
				t.Errorf("note %d: panel says %d bytes in %d cookies, the jar holds %d in %d", i+1, p.Size, len(p.Cookies), c.size(), len(c.cookies()))
			}
			most = max(most, len(c.cookies()))
			continue
		}
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("note %d: got %d, want 303 or 422", i+1, res.StatusCode)
		}
		m := sessionFull.FindStringSubmatch(res.body)
		if m == nil {
			t.Fatalf("refused note: page lacks the session-full message:\n%s", res.body)
		}
		if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("refused note: got Set-Cookie %q, want none: the browser keeps its cookie", sc)
		}
		if !maps.Equal(c.cookies(), before) {
			t.Errorf("refused note changed the cookies in the jar")
		}
		if n, _ := strconv.Atoi(m[1]); n <= 3*cookiesession.MaxCookieSize || c.size() > 3*cookiesession.MaxCookieSize {
			t.Errorf("refusal names %d bytes, the jar holds %d; want over and within 12288", n, c.size())
		}
		if most != 3 {
			t.Errorf("the session took at most %d cookies before it was full, want 3", most)
		}
		if !strings.Contains(res.body, strings.TrimSpace(note)+"</textarea>") {
			t.Errorf("refused note is not kept in the form")
		}
		if len(kept) < 2 {
			t.Fatalf("refused after %d notes, want at least 2 to fit", len(kept))
		}
		p := c.panel()
		if len(p.Notes) != len(kept) || p.Notes[0] != kept[0] || p.Notes[len(kept)-1] != kept[len(kept)-1] || p.User != "dave" {
			t.Errorf("after refusal: panel has %d notes for %q, want the %d kept for dave", len(p.Notes), p.User, len(kept))
		}
		c.postOK("/notes/clear", nil)
		if p := c.panel(); len(p.Notes) != 0 || p.User != "dave" {
			t.Errorf("after clearing: got %d notes for %q, want none for dave", len(p.Notes), p.User)
		}
		if cs := c.cookies(); len(cs) != 1 || cs[demoapp.CookieName] == "" {
			t.Errorf("after clearing: the jar holds %d cookies of the session, want the one", len(cs))
		}
		return
	}
	t.Fatalf("no note was refused after %d notes", len(kept))
}

func TestFormErrors(t *testing.T) {
	tests := []struct {
		name, path string
		form       url.Values
		status     int
		want       string
	}{
		{"empty name", "/login", url.Values{"user": {"  "}}, 422, "Type a name to sign in."},
		{"long name", "/login", url.Values{"user": {strings.Repeat("x", 41)}}, 422, "Names are at most 40 characters."},
		{"empty note", "/notes", url.Values{"note": {""}}, 422, "Write something first."},
		{"long note", "/notes", url.Values{"note": {strings.Repeat("é", 1001)}}, 422, "Notes are at most 1000 characters."},
		{"huge form", "/notes", url.Values{"note": {strings.Repeat("x", 10000)}}, 413, "form too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t)
			res := c.post(tc.path, tc.form)
			if res.StatusCode != tc.status || !strings.Contains(res.body, tc.want) {
				t.Errorf("got %d, want %d with %q; body:\n%s", res.StatusCode, tc.status, tc.want, res.body)
			}
			if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("got Set-Cookie %q, want none", sc)
			}
		})
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	c := newClient(t)
	req, _ := http.NewRequest("POST", c.base.String()+"/count", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res := c.do(req); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: got %d, want 403", res.StatusCode)
	}
}

func TestHeadersAndStatic(t *testing.T) {
	c := newClient(t)
	home := c.get("/")
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
		if home.Header.Get(h) == "" {
			t.Errorf("GET /: no %s header", h)
		}
	}
	if cc := home.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("GET /: got Cache-Control %q, want no-store", cc)
	}
	for path, ctype := range map[string]string{"/static/demo.css": "text/css", "/static/favicon.svg": "image/svg+xml"} {
		res := c.get(path)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) {
			t.Errorf("GET %s: got %d %q, want 200 %s", path, res.StatusCode, res.Header.Get("Content-Type"), ctype)
		}
	}
	if res := c.get("/nope"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope: got %d, want 404", res.StatusCode)
	}
}
