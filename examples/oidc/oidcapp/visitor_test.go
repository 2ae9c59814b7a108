package oidcapp_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/oidc/oidcapp"
	"github.com/cookiesession/cookiesession/examples/oidc/provider"
)

// visitor is a browser without JavaScript: a cookie jar, redirects followed
// except to the application's callback, where the test decides.
type visitor struct {
	t   *testing.T
	e   *env
	jar *cookiejar.Jar
	c   *http.Client
	via []string // the URLs the last request was redirected through
}

func (e *env) visitor() *visitor {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	a := &visitor{t: e.t, e: e, jar: jar}
	a.c = &http.Client{Jar: jar, Timeout: 10 * time.Second}
	a.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		a.via = append(a.via, req.URL.String())
		if strings.HasPrefix(req.URL.String(), e.base+"/callback") {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return a
}

// page is an answer, its body read.
type page struct {
	status int
	url    *url.URL // of the request that got it
	header http.Header
	body   string
}

func (a *visitor) do(req *http.Request) page {
	a.t.Helper()
	a.via = nil
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return page{status: resp.StatusCode, url: resp.Request.URL, header: resp.Header, body: string(b)}
}

func (a *visitor) get(u string) page {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	return a.do(req)
}

func (a *visitor) post(u string, form url.Values) page {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return a.do(req)
}

// startLogin posts the application's sign-in form and returns the
// provider's login page it leads to.
func (a *visitor) startLogin(mode string) page {
	a.t.Helper()
	form := url.Values{}
	if mode != "" {
		form.Set("response_mode", mode)
	}
	p := a.post(a.e.base+"/login", form)
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="password"`) {
		a.t.Fatalf("sign-in: got %d at %s, want the provider's login form", p.status, p.url)
	}
	return p
}

// submitLogin fills in the provider's login form for u. It returns the
// provider's last answer: a redirect to the callback (query), or the page
// that posts the answer to it (form_post).
func (a *visitor) submitLogin(login page, u provider.User) page {
	a.t.Helper()
	f := parseForm(a.t, login)
	f.fields.Set("username", u.Username)
	f.fields.Set("password", u.Password)
	return a.post(f.action, f.fields)
}

// callbackURL returns where p redirects: the application's callback.
func (a *visitor) callbackURL(p page) string {
	a.t.Helper()
	loc := p.header.Get("Location")
	if p.status != http.StatusFound || !strings.HasPrefix(loc, a.e.base+"/callback?") {
		a.t.Fatalf("after login: got %d to %q, want a redirect to the callback", p.status, loc)
	}
	return loc
}

// signIn signs u in with response_mode=query and returns the callback URL
// and the home page it led to.
func (a *visitor) signIn(u provider.User) (string, page) {
	a.t.Helper()
	cb := a.callbackURL(a.submitLogin(a.startLogin(""), u))
	return cb, a.get(cb)
}

// form is an HTML form: where it posts and its fields' values.
type form struct {
	action string
	fields url.Values
}

var (
	formRe  = regexp.MustCompile(`(?s)<form[^>]*\saction="([^"]*)"(.*?)</form>`)
	inputRe = regexp.MustCompile(`<input[^>]*>`)
	attrRe  = regexp.MustCompile(`\s(name|value)="([^"]*)"`)
)

// parseForm returns the first form of p, its action resolved against p's
// URL. It reads the simple forms of the provider's pages, not any HTML.
func parseForm(t *testing.T, p page) form {
	t.Helper()
	m := formRe.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no form in the page at %s:\n%s", p.url, p.body)
	}
	action, err := p.url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	f := form{action: action.String(), fields: url.Values{}}
	for _, input := range inputRe.FindAllString(m[2], -1) {
		var name, value string
		for _, a := range attrRe.FindAllStringSubmatch(input, -1) {
			if a[1] == "name" {
				name = html.UnescapeString(a[2])
			} else {
				value = html.UnescapeString(a[2])
			}
		}
		if name != "" {
			f.fields.Set(name, value)
		}
	}
	return f
}

// cookie returns the application's session cookie in the jar, or nil.
func (a *visitor) cookie() *http.Cookie {
	if cs := a.cookies(); len(cs) > 0 && cs[0].Name == oidcapp.CookieName {
		return cs[0]
	}
	return nil
}

// cookies returns the session's cookies in the jar, sorted by name: the
// cookie called oidcapp.CookieName, then its chunks, CookieName.1 and on.
func (a *visitor) cookies() []*http.Cookie {
	var cs []*http.Cookie
	for _, c := range a.jar.Cookies(mustURL(a.t, a.e.base)) {
		if c.Name == oidcapp.CookieName || strings.HasPrefix(c.Name, oidcapp.CookieName+".") {
			cs = append(cs, c)
		}
	}
	slices.SortFunc(cs, func(x, y *http.Cookie) int { return strings.Compare(x.Name, y.Name) })
	return cs
}

// session opens the session's cookies in the jar and returns what they
// hold.
func (a *visitor) session() *cookiesession.Contents {
	a.t.Helper()
	cs := a.cookies()
	if len(cs) == 0 {
		a.t.Fatal("no session cookie in the jar")
	}
	values := make([]string, len(cs))
	for i, c := range cs {
		if want := chunkName(i); c.Name != want {
			a.t.Fatalf("the jar holds %s where %s belongs", c.Name, want)
		}
		values[i] = c.Value
	}
	contents, err := a.e.keys.InspectChunks(oidcapp.CookieName, values, time.Now())
	if err != nil {
		a.t.Fatal(err)
	}
	return contents
}

// chunkName is the name of the session's cookie i: oidcapp.CookieName,
// then CookieName.1 and on.
func chunkName(i int) string {
	if i == 0 {
		return oidcapp.CookieName
	}
	return oidcapp.CookieName + "." + strconv.Itoa(i)
}

// sessionTokens returns the tokens the session holds.
func (a *visitor) sessionTokens() (access, refresh string, expiry time.Time) {
	a.t.Helper()
	var t struct {
		Access, Refresh string
		Expiry          int64
	}
	if err := json.Unmarshal(a.session().Values["tokens"], &t); err != nil {
		a.t.Fatal(err)
	}
	return t.Access, t.Refresh, time.Unix(t.Expiry, 0)
}

var (
	whoRe       = regexp.MustCompile(`<span id="who">([^<]*)</span>`)
	refreshesRe = regexp.MustCompile(`<dd id="refreshes">(\d+)</dd>`)
	errorRe     = regexp.MustCompile(`<h1 id="error">([^<]*)</h1>`)
)

// who returns the name the home page p greets, or "" if nobody is signed in.
func who(p page) string {
	if m := whoRe.FindStringSubmatch(p.body); m != nil {
		return m[1]
	}
	return ""
}

// errorTitle returns the title of the error page p, or "".
func errorTitle(p page) string {
	if m := errorRe.FindStringSubmatch(p.body); m != nil {
		return m[1]
	}
	return ""
}
