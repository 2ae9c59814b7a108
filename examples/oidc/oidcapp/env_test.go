package oidcapp_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
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

// start starts an environment with tm, its application's Config changed
// by each of options.
func start(t *testing.T, tm timings, options ...func(*oidcapp.Config)) *env {
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
	cfg := oidcapp.Config{
		Keys:            keys,
		Issuer:          p.Issuer,
		ClientID:        clientID,
		ClientSecret:    clientSecret,
		BaseURL:         base,
		RevalidateEvery: tm.every,
		OutageGrace:     tm.grace,
		HTTPClient:      &http.Client{Transport: rec, Timeout: 5 * time.Second},
	}
	for _, o := range options {
		o(&cfg)
	}
	app, err := oidcapp.New(context.Background(), cfg)
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
