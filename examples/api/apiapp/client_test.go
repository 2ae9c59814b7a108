package apiapp_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/api/apiapp"
)

// server is the API served over TLS, with a record of its OnInvalid calls.
type server struct {
	t    *testing.T
	url  *url.URL
	ts   *httptest.Server
	hook *hookLog
}

func newServer(t *testing.T, keys *cookiesession.KeyRing) *server {
	t.Helper()
	hook := new(hookLog)
	h, err := apiapp.New(keys, cookiesession.Config{OnInvalid: hook.record})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(h)
	t.Cleanup(ts.Close)
	u, _ := url.Parse(ts.URL)
	return &server{t: t, url: u, ts: ts, hook: hook}
}

func newKeys(t *testing.T) *cookiesession.KeyRing {
	t.Helper()
	keys, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// client is an API client: a browser-like one with a cookie jar, or a
// token client that keeps what the Session-Token header hands it.
type client struct {
	t     *testing.T
	srv   *server
	http  *http.Client
	token *string // nil for a cookie client
}

func (s *server) cookieClient() *client {
	c := s.ts.Client()
	c.Jar, _ = cookiejar.New(nil)
	return &client{t: s.t, srv: s, http: c}
}

func (s *server) tokenClient() *client {
	return &client{t: s.t, srv: s, http: s.ts.Client(), token: new(string)}
}

// with returns a copy of c, sharing its cookies or token, for test t.
func (c *client) with(t *testing.T) *client {
	d := *c
	d.t = t
	return &d
}

type response struct {
	*http.Response
	body string
}

// request returns a request for path; a non-empty body is sent as JSON.
func (c *client) request(method, path, body string) *http.Request {
	req, err := http.NewRequest(method, c.srv.url.String()+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// do sends req, with the token for a token client, and keeps the token
// the response hands back.
func (c *client) do(req *http.Request) response {
	c.t.Helper()
	if c.token != nil {
		req.Header.Set(apiapp.TokenHeader, *c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if vs, ok := res.Header[apiapp.TokenHeader]; ok && c.token != nil {
		*c.token = vs[0]
	}
	return response{res, string(b)}
}

func (c *client) call(method, path, body string) response {
	c.t.Helper()
	return c.do(c.request(method, path, body))
}

// ok calls the API and decodes a 200 answer into a Me.
func (c *client) ok(method, path, body string) apiapp.Me {
	c.t.Helper()
	res := c.call(method, path, body)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("%s %s: got %d %s, want 200", method, path, res.StatusCode, res.body)
	}
	var me apiapp.Me
	decode(c.t, res, &me)
	return me
}

func (c *client) login(user string) apiapp.Me {
	c.t.Helper()
	return c.ok("POST", "/login", `{"user": "`+user+`"}`)
}

// sessionValue returns what the client holds: its token, or its cookie.
func (c *client) sessionValue() string {
	if c.token != nil {
		return *c.token
	}
	for _, k := range c.http.Jar.Cookies(c.srv.url) {
		if k.Name == apiapp.CookieName {
			return k.Value
		}
	}
	return ""
}

// decode checks that res is JSON and decodes it into dst.
func decode(tb testing.TB, res response, dst any) {
	tb.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("%s %s: got Content-Type %q, want application/json", res.Request.Method, res.Request.URL.Path, ct)
	}
	if err := json.Unmarshal([]byte(res.body), dst); err != nil {
		tb.Fatalf("%s %s: %v in %q", res.Request.Method, res.Request.URL.Path, err, res.body)
	}
}

// checkError checks that res is status with a JSON error message that
// contains want.
func checkError(tb testing.TB, res response, status int, want string) {
	tb.Helper()
	var e struct{ Error string }
	decode(tb, res, &e)
	if res.StatusCode != status || e.Error == "" || !strings.Contains(e.Error, want) {
		tb.Errorf("%s %s: got %d %q, want %d with an error containing %q", res.Request.Method, res.Request.URL.Path, res.StatusCode, e.Error, status, want)
	}
}

// checkNothingWritten checks that res neither sets a cookie nor hands out
// a token.
func checkNothingWritten(tb testing.TB, res response) {
	tb.Helper()
	if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
		tb.Errorf("%s %s: got Set-Cookie %q, want none", res.Request.Method, res.Request.URL.Path, sc)
	}
	if tok, ok := res.Header[apiapp.TokenHeader]; ok {
		tb.Errorf("%s %s: got %s %q, want none", res.Request.Method, res.Request.URL.Path, apiapp.TokenHeader, tok)
	}
}

// hookLog records the errors passed to OnInvalid.
type hookLog struct {
	mu   sync.Mutex
	errs []error
}

func (h *hookLog) record(r *http.Request, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, err)
}

// take returns the errors recorded since the last call.
func (h *hookLog) take() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	errs := h.errs
	h.errs = nil
	return errs
}

// checkReason checks that OnInvalid was called once, with want, since the
// last check; or not at all if want is "".
func (h *hookLog) checkReason(tb testing.TB, want cookiesession.Reason) {
	tb.Helper()
	errs := h.take()
	if want == "" {
		if len(errs) != 0 {
			tb.Errorf("OnInvalid: got %v, want no call", errs)
		}
		return
	}
	var ie *cookiesession.InvalidError
	if len(errs) != 1 || !errors.Is(errs[0], cookiesession.ErrInvalid) || !errors.As(errs[0], &ie) || ie.Reason != want {
		tb.Errorf("OnInvalid: got %v, want one call with reason %q", errs, want)
	}
}
