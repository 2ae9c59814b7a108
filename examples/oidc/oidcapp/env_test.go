package oidcapp_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/oidc/oidcapp"
	"github.com/cookiesession/cookiesession/examples/oidc/provider"
)

const (
	clientID     = "test-client"
	clientSecret = "test-client-secret-do-not-use"
)

func TestMain(m *testing.M) {
	// The provider logs every request at level Info: keep warnings, and
	// the log package's output as it was.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	log.SetOutput(os.Stderr)
	log.SetFlags(log.LstdFlags)
	os.Exit(m.Run())
}

// timings are an environment's durations, short for tests.
type timings struct {
	accessTTL time.Duration // the provider's access tokens
	every     time.Duration // Config.RevalidateEvery
	grace     time.Duration // Config.OutageGrace
}

// slow keeps access tokens for longer than any test takes.
var slow = timings{accessTTL: 5 * time.Minute, every: time.Minute, grace: time.Minute}

// env is a provider on localhost and the application on 127.0.0.1, each
// on a port of its own.
type env struct {
	t        *testing.T
	provider *provider.Provider
	app      *oidcapp.App
	base     string // the application's URL
	keys     *cookiesession.KeyRing
	tokens   *tokenRecorder // what the provider's token endpoint told the application
	arrived  *callbackLog   // the callback requests the application got
}

func start(t *testing.T, tm timings) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	p, err := provider.Start(provider.Config{
		ClientID:              clientID,
		ClientSecret:          clientSecret,
		RedirectURI:           base + "/callback",
		PostLogoutRedirectURI: base + "/signed-out",
		AccessTokenLifetime:   tm.accessTTL,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	rec := &tokenRecorder{}
	keys := cookiesession.InsecureDevelopmentKeyRing()
	app, err := oidcapp.New(context.Background(), oidcapp.Config{
		Keys:            keys,
		Issuer:          p.Issuer,
		ClientID:        clientID,
		ClientSecret:    clientSecret,
		BaseURL:         base,
		RevalidateEvery: tm.every,
		OutageGrace:     tm.grace,
		HTTPClient:      &http.Client{Transport: rec, Timeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	arrived := &callbackLog{}
	srv := httptest.NewUnstartedServer(arrived.wrap(app))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{t: t, provider: p, app: app, base: base, keys: keys, tokens: rec, arrived: arrived}
}

// callbackLog records how callback requests arrived.
type callbackLog struct {
	mu   sync.Mutex
	seen []arrival
}

// arrival is how one callback request arrived.
type arrival struct {
	method    string
	fetchSite string // Sec-Fetch-Site
	cookie    bool   // whether it carried the session cookie
	status    int    // the answer's status
}

func (l *callbackLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			h.ServeHTTP(w, r)
			return
		}
		_, err := r.Cookie(oidcapp.CookieName)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		l.mu.Lock()
		l.seen = append(l.seen, arrival{r.Method, r.Header.Get("Sec-Fetch-Site"), err == nil, sw.status})
		l.mu.Unlock()
	})
}

// statusWriter keeps the status of the answer it writes.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// last returns how the last callback arrived.
func (l *callbackLog) last(t *testing.T) arrival {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) == 0 {
		t.Fatal("no callback arrived")
	}
	return l.seen[len(l.seen)-1]
}

// tokenRecorder is the application's transport to the provider. It keeps
// the tokens of each answer of the token endpoint.
type tokenRecorder struct {
	mu   sync.Mutex
	seen []tokenResponse
}

type tokenResponse struct {
	IDToken      string `json:"id_token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

func (r *tokenRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/token") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var tr tokenResponse
	if json.Unmarshal(body, &tr) == nil {
		r.mu.Lock()
		r.seen = append(r.seen, tr)
		r.mu.Unlock()
	}
	return resp, nil
}

// count returns how many answers the token endpoint gave.
func (r *tokenRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// last returns the token endpoint's last answer.
func (r *tokenRecorder) last(t *testing.T) tokenResponse {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) == 0 {
		t.Fatal("the application got no tokens")
	}
	return r.seen[len(r.seen)-1]
}

// agent is a browser without JavaScript: a cookie jar, redirects followed
// except to the application's callback, where the test decides.
type agent struct {
	t   *testing.T
	e   *env
	jar *cookiejar.Jar
	c   *http.Client
	via []string // the URLs the last request was redirected through
}

func (e *env) agent() *agent {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	a := &agent{t: e.t, e: e, jar: jar}
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

func (a *agent) do(req *http.Request) page {
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

func (a *agent) get(u string) page {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	return a.do(req)
}

func (a *agent) post(u string, form url.Values) page {
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
func (a *agent) startLogin(mode string) page {
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
func (a *agent) submitLogin(login page, u provider.User) page {
	a.t.Helper()
	f := parseForm(a.t, login)
	f.fields.Set("username", u.Username)
	f.fields.Set("password", u.Password)
	return a.post(f.action, f.fields)
}

// callbackURL returns where p redirects: the application's callback.
func (a *agent) callbackURL(p page) string {
	a.t.Helper()
	loc := p.header.Get("Location")
	if p.status != http.StatusFound || !strings.HasPrefix(loc, a.e.base+"/callback?") {
		a.t.Fatalf("after login: got %d to %q, want a redirect to the callback", p.status, loc)
	}
	return loc
}

// signIn signs u in with response_mode=query and returns the callback URL
// and the home page it led to.
func (a *agent) signIn(u provider.User) (string, page) {
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
func (a *agent) cookie() *http.Cookie {
	u, _ := url.Parse(a.e.base)
	for _, c := range a.jar.Cookies(u) {
		if c.Name == oidcapp.CookieName {
			return c
		}
	}
	return nil
}

// session opens the session cookie in the jar and returns its values.
func (a *agent) session() map[string]json.RawMessage {
	a.t.Helper()
	c := a.cookie()
	if c == nil {
		a.t.Fatal("no session cookie in the jar")
	}
	contents, err := a.e.keys.Inspect(c.Name, c.Value, time.Now())
	if err != nil {
		a.t.Fatal(err)
	}
	return contents.Values
}

// sessionTokens returns the tokens the session holds.
func (a *agent) sessionTokens() (access, refresh string, expiry time.Time) {
	a.t.Helper()
	var t struct {
		Access, Refresh string
		Expiry          int64
	}
	if err := json.Unmarshal(a.session()["tokens"], &t); err != nil {
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

// s256 is the PKCE code_challenge of verifier.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// discovery returns the provider's discovery document.
func (e *env) discovery() map[string]any {
	e.t.Helper()
	resp, err := http.Get(e.provider.Issuer + ".well-known/openid-configuration")
	if err != nil {
		e.t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(readAll(e.t, resp)), &d); err != nil {
		e.t.Fatal(err)
	}
	return d
}

// userInfo is the provider's userinfo answer; Sub is empty if it refused.
type userInfo struct {
	Sub    string `json:"sub"`
	Status int    `json:"-"`
}

// userinfo asks the provider's userinfo endpoint about access.
func userinfo(t *testing.T, e *env, access string) userInfo {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.discovery()["userinfo_endpoint"].(string), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	info := userInfo{Status: resp.StatusCode}
	body := readAll(t, resp)
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &info); err != nil {
			t.Fatal(err)
		}
	}
	return info
}
