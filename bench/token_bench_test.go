package bench_test

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cookiesession/cookiesession"
	"github.com/oauth2-proxy/oauth2-proxy/v7/pkg/apis/options"
	"github.com/oauth2-proxy/oauth2-proxy/v7/pkg/apis/sessions"
	"github.com/oauth2-proxy/oauth2-proxy/v7/pkg/logger"
	"github.com/oauth2-proxy/oauth2-proxy/v7/pkg/sessions/cookie"
)

// These benchmarks store the token payloads of token_test.go in a session
// and read them back, through each library's own API on an *http.Request
// and an httptest.ResponseRecorder, as a middleware sees them:
// BenchmarkTokenSession. TestTokenStores checks that what is written reads
// back whole.

// tokenStore is a session library under comparison, named for benchstat's
// /impl.
type tokenStore struct {
	name string
	// write starts a session holding t, as a sign-in does, and sets its
	// cookies on w.
	write func(w http.ResponseWriter, r *http.Request, t *tokenSession) error
	// read loads the session of r.
	read func(r *http.Request) (tokenSession, error)
}

var errNoSession = errors.New("no session")

// newTokenCookiesession stores each field as a session value, in up to
// three cookies.
func newTokenCookiesession(tb testing.TB) tokenStore {
	ring, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
	if err != nil {
		tb.Fatal(err)
	}
	m, err := cookiesession.New(ring, cookiesession.Config{MaxCookies: 3, MaxSize: 3 * cookiesession.MaxCookieSize})
	if err != nil {
		tb.Fatal(err)
	}
	write := func(w http.ResponseWriter, r *http.Request, t *tokenSession) error {
		s := m.Load(r)
		err := errors.Join(
			s.Set("id_token", t.IDToken), s.Set("access_token", t.AccessToken),
			s.Set("refresh_token", t.RefreshToken), s.Set("expires_on", t.ExpiresOn),
			s.Set("email", t.Email), s.Set("user", t.User))
		if err != nil {
			return err
		}
		return m.Save(w, s)
	}
	read := func(r *http.Request) (tokenSession, error) {
		var t tokenSession
		s := m.Load(r)
		if s.IsNew() {
			return t, errNoSession
		}
		for _, v := range []struct {
			key string
			dst any
		}{
			{"id_token", &t.IDToken}, {"access_token", &t.AccessToken}, {"refresh_token", &t.RefreshToken},
			{"expires_on", &t.ExpiresOn}, {"email", &t.Email}, {"user", &t.User},
		} {
			if ok, err := s.Get(v.key, v.dst); !ok || err != nil {
				return t, errors.Join(errNoSession, err)
			}
		}
		return t, nil
	}
	return tokenStore{"cookiesession", write, read}
}

// newOAuth2ProxySecret returns a cookie secret for oauth2-proxy: 32 random
// bytes, base64url-encoded as its documentation generates one.
func newOAuth2ProxySecret() string {
	return base64.URLEncoding.EncodeToString(cookiesession.GenerateKey())
}

// newTokenOAuth2Proxy is oauth2-proxy's cookie session store as
// oauth2-proxy builds it for --session-store-type=cookie, with its default
// options (cookie _oauth2_proxy, Path=/, Secure, HttpOnly, a 168-hour
// expiry) and the cookie secret secret.
func newTokenOAuth2Proxy(tb testing.TB, secret string) tokenStore {
	// The store logs a warning on every save that takes several cookies;
	// the line is formatted still, and written nowhere.
	logger.SetErrOutput(io.Discard)
	opts := options.NewOptions()
	opts.Cookie.Secret = secret
	store, err := cookie.NewCookieSessionStore(&opts.Session, &opts.Cookie)
	if err != nil {
		tb.Fatal(err)
	}
	write := func(w http.ResponseWriter, r *http.Request, t *tokenSession) error {
		expires := t.ExpiresOn
		return store.Save(w, r, &sessions.SessionState{
			IDToken: t.IDToken, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
			ExpiresOn: &expires, Email: t.Email, User: t.User,
		})
	}
	read := func(r *http.Request) (tokenSession, error) {
		ss, err := store.Load(r)
		if err != nil {
			return tokenSession{}, err
		}
		t := tokenSession{IDToken: ss.IDToken, AccessToken: ss.AccessToken, RefreshToken: ss.RefreshToken, Email: ss.Email, User: ss.User}
		if ss.ExpiresOn != nil {
			t.ExpiresOn = *ss.ExpiresOn
		}
		return t, nil
	}
	return tokenStore{"oauth2-proxy", write, read}
}

func tokenStores(tb testing.TB) []tokenStore {
	return []tokenStore{newTokenCookiesession(tb), newTokenOAuth2Proxy(tb, newOAuth2ProxySecret())}
}

// signIn writes t through st and returns the cookies set, as a browser
// keeps them: name and value.
func signIn(tb testing.TB, st tokenStore, t *tokenSession) []*http.Cookie {
	tb.Helper()
	w := httptest.NewRecorder()
	if err := st.write(w, httptest.NewRequest(http.MethodGet, "https://example.com/", nil), t); err != nil {
		tb.Fatalf("%s: %v", st.name, err)
	}
	var kept []*http.Cookie
	for _, c := range w.Result().Cookies() {
		kept = append(kept, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return kept
}

// tokenRequest returns a request carrying cookies in one Cookie header, as
// a browser sends them.
func tokenRequest(cookies []*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://example.com/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

// wireBytes returns what cookies take in a browser, and in each request's
// Cookie header: the lengths of their names and values.
func wireBytes(cookies []*http.Cookie) int {
	n := 0
	for _, c := range cookies {
		n += len(c.Name) + len(c.Value)
	}
	return n
}

func TestTokenStores(t *testing.T) {
	for _, st := range tokenStores(t) {
		for _, p := range tokenPayloads {
			t.Run(p.name+"/"+st.name, func(t *testing.T) {
				cookies := signIn(t, st, &p.session)
				t.Logf("%d cookies, %d bytes", len(cookies), wireBytes(cookies))
				for _, c := range cookies {
					if n := len(c.Name) + len(c.Value); n > cookiesession.MaxCookieSize {
						t.Errorf("cookie %s: got %d bytes, want at most %d", c.Name, n, cookiesession.MaxCookieSize)
					}
				}
				got, err := st.read(tokenRequest(cookies))
				if err != nil {
					t.Fatal(err)
				}
				if !got.ExpiresOn.Equal(p.session.ExpiresOn) {
					t.Errorf("expiry: got %v, want %v", got.ExpiresOn, p.session.ExpiresOn)
				}
				got.ExpiresOn = p.session.ExpiresOn
				if got != p.session {
					t.Errorf("got %+v, want %+v", got, p.session)
				}
			})
		}
	}
}

// BenchmarkTokenSession writes each token payload to a new session, and
// reads it back from the cookies a browser would send, through each
// library. cookies and wire-bytes are the number of cookies the session
// takes and their names' and values' length.
func BenchmarkTokenSession(b *testing.B) {
	for _, op := range []string{"write", "read"} {
		for _, p := range tokenPayloads {
			for _, st := range tokenStores(b) {
				b.Run("op="+op+"/token="+p.name+"/impl="+st.name, func(b *testing.B) {
					cookies := signIn(b, st, &p.session)
					b.SetBytes(int64(p.session.size()))
					b.ReportAllocs()
					if op == "write" {
						benchWrite(b, st, &p.session)
					} else {
						benchRead(b, st, tokenRequest(cookies))
					}
					b.ReportMetric(float64(len(cookies)), "cookies")
					b.ReportMetric(float64(wireBytes(cookies)), "wire-bytes")
				})
			}
		}
	}
}

func benchWrite(b *testing.B, st tokenStore, t *tokenSession) {
	r := httptest.NewRequest(http.MethodGet, "https://example.com/", nil)
	for b.Loop() {
		if err := st.write(httptest.NewRecorder(), r, t); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRead(b *testing.B, st tokenStore, r *http.Request) {
	for b.Loop() {
		if _, err := st.read(r); err != nil {
			b.Fatal(err)
		}
	}
}
