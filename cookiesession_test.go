package cookiesession_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cookiesession/cookiesession"
)

// epoch is where every synctest bubble's clock starts.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ringOf returns a ring of the given secrets, the first being the primary.
func ringOf(tb testing.TB, secrets ...[]byte) *cookiesession.KeyRing {
	tb.Helper()
	r, err := cookiesession.NewKeyRing(secrets...)
	if err != nil {
		tb.Fatalf("NewKeyRing: %v", err)
	}
	return r
}

// freshRing returns a ring of one new key.
func freshRing(tb testing.TB) *cookiesession.KeyRing {
	return ringOf(tb, cookiesession.GenerateKey())
}

func mustNew(tb testing.TB, r *cookiesession.KeyRing, cfg cookiesession.Config) *cookiesession.Manager {
	tb.Helper()
	m, err := cookiesession.New(r, cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return m
}

// hookLog records the calls to an OnInvalid hook.
type hookLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *hookLog) record(_ *http.Request, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *hookLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = nil
}

func (l *hookLog) calls() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.errs)
}

// sessionFunc is a handler body that gets the request's session.
type sessionFunc func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session)

// wrap puts f behind m's middleware.
func wrap(m *cookiesession.Manager, f sessionFunc) http.Handler {
	return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f(w, r, m.Get(r))
	}))
}

// serve sends one request through h with raw Cookie header lines, such as
// "name=value", and returns the recorded response.
func serve(h http.Handler, cookies ...string) *http.Response {
	req := httptest.NewRequest("GET", "https://example.com/", nil)
	for _, c := range cookies {
		req.Header.Add("Cookie", c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// setCookies parses every Set-Cookie line of resp.
func setCookies(tb testing.TB, resp *http.Response) []*http.Cookie {
	tb.Helper()
	var cs []*http.Cookie
	for _, line := range resp.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			tb.Fatalf("Set-Cookie %q: %v", line, err)
		}
		cs = append(cs, c)
	}
	return cs
}

// oneCookie returns the only Set-Cookie of resp, failing unless there is
// exactly one.
func oneCookie(tb testing.TB, resp *http.Response) *http.Cookie {
	tb.Helper()
	cs := setCookies(tb, resp)
	if len(cs) != 1 {
		tb.Fatalf("got %d Set-Cookie lines %q, want 1", len(cs), resp.Header.Values("Set-Cookie"))
	}
	return cs[0]
}

// noSession fails if resp sets a session cookie; deleting one is allowed.
func noSession(tb testing.TB, resp *http.Response) {
	tb.Helper()
	for _, c := range setCookies(tb, resp) {
		if c.MaxAge >= 0 || c.Value != "" {
			tb.Errorf("got Set-Cookie %q, want none or a deleting one", resp.Header.Get("Set-Cookie"))
		}
	}
}

func noCookie(tb testing.TB, resp *http.Response) {
	tb.Helper()
	if got := resp.Header.Values("Set-Cookie"); len(got) != 0 {
		tb.Fatalf("got Set-Cookie %q, want none", got)
	}
}

// inBubble runs f in a synctest bubble whose clock has first been moved d
// past the epoch.
func inBubble(t *testing.T, d time.Duration, f func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(d)
		f(t)
	})
}

// mintAt returns the value of a cookie that m issues d after the epoch for
// a session holding user=alice.
func mintAt(t *testing.T, m *cookiesession.Manager, d time.Duration) string {
	t.Helper()
	var v string
	inBubble(t, d, func(t *testing.T) {
		v = mint(t, m)
	})
	return v
}

// mint returns the value of a cookie that m issues now for a session
// holding user=alice.
func mint(tb testing.TB, m *cookiesession.Manager) string {
	tb.Helper()
	return mintWith(tb, m, func(s *cookiesession.Session) error { return s.Set("user", "alice") })
}

// mintWith returns the value of the cookie that m issues for a new session
// changed by f.
func mintWith(tb testing.TB, m *cookiesession.Manager, f func(s *cookiesession.Session) error) string {
	tb.Helper()
	resp := serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		if err := f(s); err != nil {
			tb.Errorf("changing a new session: %v", err)
		}
	}))
	return oneCookie(tb, resp).Value
}

func TestNewDefaults(t *testing.T) {
	m := mustNew(t, freshRing(t), cookiesession.Config{})
	inBubble(t, 0, func(t *testing.T) {
		resp := serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
			s.Set("k", 1)
		}))
		c := oneCookie(t, resp)
		line := resp.Header.Get("Set-Cookie")
		checks := []struct {
			what      string
			got, want any
		}{
			{"Name", c.Name, "__Host-session"},
			{"Path", c.Path, "/"},
			{"Domain", c.Domain, ""},
			{"Secure", c.Secure, true},
			{"HttpOnly", c.HttpOnly, true},
			{"SameSite", c.SameSite, http.SameSiteLaxMode},
			{"Partitioned", c.Partitioned, false},
			{"MaxAge", c.MaxAge, 86400},
			{"Expires", c.Expires.UTC(), epoch.Add(24 * time.Hour)},
			{"SameSite=Lax written", strings.Contains(line, "; SameSite=Lax"), true},
		}
		for _, ck := range checks {
			if ck.got != ck.want {
				t.Errorf("%s: got %v, want %v (Set-Cookie %q)", ck.what, ck.got, ck.want, line)
			}
		}
	})
}

func TestNewAttributes(t *testing.T) {
	tests := []struct {
		name string
		cfg  cookiesession.Config
		want []string // substrings of the Set-Cookie line
		not  []string
	}{
		{"strict", cookiesession.Config{SameSite: http.SameSiteStrictMode}, []string{"SameSite=Strict", "Secure", "HttpOnly"}, []string{"SameSite=Lax"}},
		{"default mode means Lax", cookiesession.Config{SameSite: http.SameSiteDefaultMode}, []string{"SameSite=Lax"}, nil},
		{"none", cookiesession.Config{SameSite: http.SameSiteNoneMode}, []string{"SameSite=None", "Secure"}, nil},
		{"partitioned", cookiesession.Config{Partitioned: true}, []string{"Partitioned", "Secure"}, nil},
		{"path and domain", cookiesession.Config{Name: "app", Path: "/app", Domain: "example.com"}, []string{"app=", "Path=/app", "Domain=example.com", "Secure"}, nil},
		{"insecure", cookiesession.Config{Name: "dev", InsecureNoSecure: true}, []string{"dev=", "HttpOnly", "SameSite=Lax"}, []string{"Secure"}},
		{"__Secure- prefix", cookiesession.Config{Name: "__Secure-s", Path: "/x"}, []string{"__Secure-s=", "Path=/x", "Secure"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustNew(t, freshRing(t), tc.cfg)
			resp := serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
				s.Set("k", 1)
			}))
			oneCookie(t, resp)
			line := resp.Header.Get("Set-Cookie")
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("got Set-Cookie %q, want it to contain %q", line, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(line, n) {
					t.Errorf("got Set-Cookie %q, want it not to contain %q", line, n)
				}
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	long := "/" + strings.Repeat("a", 1024)
	tests := []struct {
		name string
		cfg  cookiesession.Config
	}{
		{"__Host- with Domain", cookiesession.Config{Domain: "example.com"}},
		{"__Host- with Path", cookiesession.Config{Path: "/x"}},
		{"__Host- lower case with Domain", cookiesession.Config{Name: "__host-s", Domain: "example.com"}},
		{"__Host- without Secure", cookiesession.Config{InsecureNoSecure: true}},
		{"__Secure- without Secure", cookiesession.Config{Name: "__Secure-s", InsecureNoSecure: true}},
		{"SameSite=None without Secure", cookiesession.Config{Name: "s", SameSite: http.SameSiteNoneMode, InsecureNoSecure: true}},
		{"Partitioned without Secure", cookiesession.Config{Name: "s", Partitioned: true, InsecureNoSecure: true}},
		{"unknown SameSite", cookiesession.Config{SameSite: http.SameSite(9)}},
		{"Path over 1024 bytes", cookiesession.Config{Name: "s", Path: long}},
		{"Domain over 1024 bytes", cookiesession.Config{Name: "s", Domain: strings.Repeat("a", 1025)}},
		{"Path without slash", cookiesession.Config{Name: "s", Path: "app"}},
		{"Path with semicolon", cookiesession.Config{Name: "s", Path: "/a;b"}},
		{"Path with control character", cookiesession.Config{Name: "s", Path: "/a\nb"}},
		{"Domain with semicolon", cookiesession.Config{Name: "s", Domain: "a;b.com"}},
		{"name with space", cookiesession.Config{Name: "a b"}},
		{"name with semicolon", cookiesession.Config{Name: "a;b"}},
		{"name with equals", cookiesession.Config{Name: "a=b"}},
		{"name with comma", cookiesession.Config{Name: "a,b"}},
		{"name with quote", cookiesession.Config{Name: `a"b`}},
		{"name with tab", cookiesession.Config{Name: "a\tb"}},
		{"name with NUL", cookiesession.Config{Name: "a\x00b"}},
		{"name with non-ASCII", cookiesession.Config{Name: "séance"}},
		{"name with separator", cookiesession.Config{Name: "(s)"}},
		{"name too long", cookiesession.Config{Name: strings.Repeat("n", 4096)}},
		{"negative Lifetime", cookiesession.Config{Lifetime: -time.Hour}},
		{"negative IdleTimeout", cookiesession.Config{IdleTimeout: -time.Hour}},
		{"sub-second Lifetime", cookiesession.Config{Lifetime: time.Millisecond}},
		{"sub-second IdleTimeout", cookiesession.Config{IdleTimeout: time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := cookiesession.New(freshRing(t), tc.cfg)
			if err == nil || m != nil {
				t.Fatalf("New(%+v): got (%v, %v), want (nil, error)", tc.cfg, m, err)
			}
		})
	}
	t.Run("nil ring", func(t *testing.T) {
		if m, err := cookiesession.New(nil, cookiesession.Config{}); err == nil || m != nil {
			t.Fatalf("New(nil): got (%v, %v), want (nil, error)", m, err)
		}
	})
	t.Run("zero ring", func(t *testing.T) {
		if m, err := cookiesession.New(new(cookiesession.KeyRing), cookiesession.Config{}); err == nil || m != nil {
			t.Fatalf("New(&KeyRing{}): got (%v, %v), want (nil, error)", m, err)
		}
	})
}

// TestNewAccepts guards TestNewErrors from passing for the wrong reason:
// the configurations next to each refused one are accepted.
func TestNewAccepts(t *testing.T) {
	tests := []struct {
		name string
		cfg  cookiesession.Config
	}{
		{"zero", cookiesession.Config{}},
		{"custom name with Domain and Path", cookiesession.Config{Name: "s", Domain: "example.com", Path: "/x"}},
		{"__Secure- with Path", cookiesession.Config{Name: "__Secure-s", Path: "/x"}},
		{"SameSite=None with Secure", cookiesession.Config{SameSite: http.SameSiteNoneMode}},
		{"Partitioned with Secure", cookiesession.Config{Partitioned: true}},
		{"insecure plain name", cookiesession.Config{Name: "s", InsecureNoSecure: true}},
		{"Path of 1024 bytes", cookiesession.Config{Name: "s", Path: "/" + strings.Repeat("a", 1023)}},
		{"negative ClockSkew", cookiesession.Config{ClockSkew: -time.Minute}},
		{"one-second timeouts", cookiesession.Config{Lifetime: time.Second, IdleTimeout: time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := cookiesession.New(freshRing(t), tc.cfg); err != nil {
				t.Fatalf("New(%+v): got %v, want nil", tc.cfg, err)
			}
		})
	}
}

func TestSetPersistentFalse(t *testing.T) {
	m := mustNew(t, freshRing(t), cookiesession.Config{})
	resp := serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		s.SetPersistent(false)
		s.Set("k", 1)
	}))
	line := resp.Header.Get("Set-Cookie")
	if c := oneCookie(t, resp); c.MaxAge != 0 || !c.Expires.IsZero() || strings.Contains(line, "Max-Age") || strings.Contains(line, "Expires") {
		t.Fatalf("got Set-Cookie %q, want no Max-Age or Expires", line)
	}
	// The choice is sealed in the cookie: a later re-issue keeps it.
	resp = serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		if s.Persistent() {
			t.Errorf("Persistent: got true, want false")
		}
		s.Set("k", 2)
	}), "__Host-session="+oneCookie(t, resp).Value)
	if line := resp.Header.Get("Set-Cookie"); strings.Contains(line, "Max-Age") || strings.Contains(line, "Expires") {
		t.Fatalf("re-issued: got Set-Cookie %q, want no Max-Age or Expires", line)
	}
}

func TestLoadSave(t *testing.T) {
	var hook hookLog
	m := mustNew(t, freshRing(t), cookiesession.Config{Name: "s", OnInvalid: hook.record})

	req := httptest.NewRequest("GET", "https://example.com/", nil)
	s := m.Load(req)
	if !s.IsNew() {
		t.Fatalf("IsNew: got false, want true")
	}
	if err := s.Set("user", "alice"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	rec := httptest.NewRecorder()
	if err := m.Save(rec, s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if err := m.Save(rec, s); err != nil {
		t.Fatalf("second Save: %v", err)
	}
	resp := rec.Result()
	c := oneCookie(t, resp)
	if got := resp.Header.Values("Vary"); !slices.Equal(got, []string{"Cookie"}) {
		t.Errorf("Vary: got %q, want [Cookie]", got)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", got)
	}
	if err := s.Set("user", "bob"); !errors.Is(err, cookiesession.ErrCommitted) {
		t.Errorf("Set after Save: got %v, want ErrCommitted", err)
	}

	req = httptest.NewRequest("GET", "https://example.com/", nil)
	req.AddCookie(c)
	s = m.Load(req)
	var user string
	if ok, err := s.Get("user", &user); !ok || err != nil || user != "alice" {
		t.Fatalf("Get: got (%v, %v, %q), want (true, nil, alice)", ok, err, user)
	}
	if s.IsNew() {
		t.Errorf("IsNew: got true, want false")
	}
	rec = httptest.NewRecorder()
	if err := m.Save(rec, s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	noCookie(t, rec.Result())

	req = httptest.NewRequest("GET", "https://example.com/", nil)
	req.Header.Set("Cookie", "s=garbage")
	if s := m.Load(req); !s.IsNew() {
		t.Errorf("garbage: IsNew got false, want true")
	}
	if got := len(hook.calls()); got != 1 {
		t.Errorf("OnInvalid calls: got %d, want 1", got)
	}

	t.Run("another manager's session", func(t *testing.T) {
		other := mustNew(t, freshRing(t), cookiesession.Config{Name: "s"})
		s := other.Load(httptest.NewRequest("GET", "https://example.com/", nil))
		defer func() {
			if recover() == nil {
				t.Errorf("Save with another Manager's session: got no panic, want one")
			}
		}()
		m.Save(httptest.NewRecorder(), s)
	})
}

func TestGetWithoutHandlerPanics(t *testing.T) {
	m := mustNew(t, freshRing(t), cookiesession.Config{})
	other := mustNew(t, freshRing(t), cookiesession.Config{})
	var throughOther *http.Request
	other.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { throughOther = r })).
		ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "https://example.com/", nil))
	for name, req := range map[string]*http.Request{
		"bare request":    httptest.NewRequest("GET", "https://example.com/", nil),
		"another manager": throughOther,
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Get: got no panic, want one")
				}
			}()
			m.Get(req)
		})
	}
}

// flipBit flips bit of the decoded byte at i of a cookie value.
func flipBit(tb testing.TB, v string, i int, bit byte) string {
	tb.Helper()
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		tb.Fatalf("decoding %q: %v", v, err)
	}
	if i < 0 {
		i += len(b)
	}
	b[i] ^= bit
	return base64.RawURLEncoding.EncodeToString(b)
}

// trailingBits encodes b, cut to a length that leaves unused bits in the
// last character, with those bits set: a non-canonical encoding.
func trailingBits(b []byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b = b[:len(b)/3*3+1-3] // the last character carries 2 bits and 4 unused
	v := []byte(base64.RawURLEncoding.EncodeToString(b))
	last := strings.IndexByte(alphabet, v[len(v)-1])
	v[len(v)-1] = alphabet[last|1]
	return string(v)
}

func TestBadCookies(t *testing.T) {
	const name = "__Host-session"
	const now = 48 * time.Hour // every request of the table is made at epoch+48h
	ring := freshRing(t)
	var hook hookLog
	m := mustNew(t, ring, cookiesession.Config{OnInvalid: hook.record})
	other := mustNew(t, freshRing(t), cookiesession.Config{})
	otherName := mustNew(t, ring, cookiesession.Config{Name: "__Host-other"})

	good := mintAt(t, m, now)
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	expired := mintAt(t, m, now-24*time.Hour)             // expires exactly at now
	future := mintAt(t, m, now+2*time.Minute)             // issued beyond the 1-minute skew
	stdAlphabet := base64.StdEncoding.EncodeToString(raw) // padded, with + or / in most values
	for !strings.ContainsAny(stdAlphabet, "+/") {
		good = mintAt(t, m, now)
		raw, _ = base64.RawURLEncoding.DecodeString(good)
		stdAlphabet = base64.StdEncoding.EncodeToString(raw)
	}

	tests := []struct {
		name   string
		value  string
		reason cookiesession.Reason
	}{
		{"empty value", "", cookiesession.ReasonTooShort},
		{"garbage", "hello-world", cookiesession.ReasonMalformed},
		{"non-base64", "!!!!****", cookiesession.ReasonMalformed},
		{"padded base64", base64.URLEncoding.EncodeToString(raw[:len(raw)-1]), cookiesession.ReasonMalformed},
		{"standard alphabet", strings.TrimRight(stdAlphabet, "="), cookiesession.ReasonMalformed},
		{"length 1 mod 4", good[:len(good)/4*4+1-4], cookiesession.ReasonMalformed},
		{"non-zero trailing bits", trailingBits(raw), cookiesession.ReasonMalformed},
		{"too short", good[:40], cookiesession.ReasonTooShort},
		{"truncated", base64.RawURLEncoding.EncodeToString(raw[:len(raw)-1]), cookiesession.ReasonAuth},
		{"extended", base64.RawURLEncoding.EncodeToString(append(raw, 0)), cookiesession.ReasonAuth},
		{"bit flipped in nonce", flipBit(t, good, 10, 0x01), cookiesession.ReasonAuth},
		{"bit flipped in ciphertext", flipBit(t, good, 40, 0x80), cookiesession.ReasonAuth},
		{"bit flipped in tag", flipBit(t, good, -1, 0x01), cookiesession.ReasonAuth},
		{"bit flipped in key ID", flipBit(t, good, 1, 0x01), cookiesession.ReasonUnknownKey},
		{"unknown version", flipBit(t, good, 0, 0x04), cookiesession.ReasonVersion},
		{"sealed for another name", mintAt(t, otherName, now), cookiesession.ReasonAuth},
		{"unknown key", mintAt(t, other, now), cookiesession.ReasonUnknownKey},
		{"expired", expired, cookiesession.ReasonExpired},
		{"future", future, cookiesession.ReasonFuture},
		{"oversized", strings.Repeat("A", 4097), cookiesession.ReasonTooLong},
		{"oversized with name", strings.Repeat("A", 4096-len(name)+1), cookiesession.ReasonTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hook.reset()
			inBubble(t, now, func(t *testing.T) {
				var isNew bool
				var keys []string
				resp := serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
					isNew, keys = s.IsNew(), s.Keys()
					w.Write([]byte("ok"))
				}), name+"="+tc.value)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("status: got %d, want 200", resp.StatusCode)
				}
				if !isNew || len(keys) != 0 {
					t.Errorf("session: got IsNew %v with keys %q, want a new, empty session", isNew, keys)
				}
				noSession(t, resp)
			})
			errs := hook.calls()
			if len(errs) != 1 {
				t.Fatalf("OnInvalid: got %d calls %v, want 1", len(errs), errs)
			}
			err := errs[0]
			if !errors.Is(err, cookiesession.ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid): got false, want true", err)
			}
			if got, want := errors.Is(err, cookiesession.ErrExpired), tc.reason == cookiesession.ReasonExpired; got != want {
				t.Errorf("errors.Is(%v, ErrExpired): got %v, want %v", err, got, want)
			}
			var ie *cookiesession.InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("errors.As(%v, *InvalidError): got false, want true", err)
			}
			if ie.Reason != tc.reason {
				t.Errorf("Reason: got %q, want %q", ie.Reason, tc.reason)
			}
		})
	}

	// The control: the good cookie is accepted at the same time.
	t.Run("control", func(t *testing.T) {
		hook.reset()
		inBubble(t, now, func(t *testing.T) {
			serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
				if s.IsNew() || !s.Has("user") {
					t.Errorf("good cookie: got IsNew %v, Has(user) %v, want false, true", s.IsNew(), s.Has("user"))
				}
			}), name+"="+good)
		})
		if errs := hook.calls(); len(errs) != 0 {
			t.Errorf("OnInvalid: got %v, want no call", errs)
		}
	})
}

// sizeOf is what a browser counts of a cookie: its name and its value.
func sizeOf(c *http.Cookie) int { return len(c.Name) + len(c.Value) }

func TestSizeGuard(t *testing.T) {
	big := strings.Repeat("x", 4000)
	tests := []struct {
		name      string
		before    func(s *cookiesession.Session) error // changes that fit, made first
		tooLarge  func(s *cookiesession.Session) error
		wantKey   string // the first key SizeError.Largest names
		wantValue string // the value of "a" in the next request
		wantSet   bool   // whether the response sets a cookie
	}{
		{
			name:      "Set of a new key, nothing changed",
			tooLarge:  func(s *cookiesession.Session) error { return s.Set("big", big) },
			wantKey:   "big",
			wantValue: "small",
		},
		{
			name:      "Set of an existing key, nothing changed",
			tooLarge:  func(s *cookiesession.Session) error { return s.Set("a", big) },
			wantKey:   "a",
			wantValue: "small",
		},
		{
			name:      "Set after a change",
			before:    func(s *cookiesession.Session) error { return s.Set("a", "changed") },
			tooLarge:  func(s *cookiesession.Session) error { return s.Set("big", big) },
			wantKey:   "big",
			wantValue: "changed",
			wantSet:   true,
		},
		{
			name:      "Flash, nothing changed",
			tooLarge:  func(s *cookiesession.Session) error { return s.Flash("info", big) },
			wantKey:   "info",
			wantValue: "small",
		},
		{
			name:      "Flash after a change",
			before:    func(s *cookiesession.Session) error { return s.Set("a", "changed") },
			tooLarge:  func(s *cookiesession.Session) error { return s.Flash("info", big) },
			wantKey:   "info",
			wantValue: "changed",
			wantSet:   true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustNew(t, freshRing(t), cookiesession.Config{})
			start := mintWith(t, m, func(s *cookiesession.Session) error { return s.Set("a", "small") })
			var sizeBefore, sizeAfter int
			var keysAfter []string
			resp := serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
				if tc.before != nil {
					if err := tc.before(s); err != nil {
						t.Fatalf("change that fits: %v", err)
					}
				}
				sizeBefore = s.Size()
				err := tc.tooLarge(s)
				if !errors.Is(err, cookiesession.ErrTooLarge) {
					t.Fatalf("got %v, want ErrTooLarge", err)
				}
				var se *cookiesession.SizeError
				if !errors.As(err, &se) {
					t.Fatalf("errors.As(%v, *SizeError): got false, want true", err)
				}
				if se.Name != "__Host-session" || se.Limit != cookiesession.MaxCookieSize || se.Size <= cookiesession.MaxCookieSize {
					t.Errorf("SizeError: got Name %q, Size %d, Limit %d, want __Host-session, > 4096, 4096", se.Name, se.Size, se.Limit)
				}
				if len(se.Largest) == 0 || !strings.HasPrefix(se.Largest[0], tc.wantKey+" ") {
					t.Errorf("Largest: got %q, want %q first", se.Largest, tc.wantKey)
				}
				sizeAfter, keysAfter = s.Size(), s.Keys()
			}), "__Host-session="+start)
			if sizeAfter != sizeBefore {
				t.Errorf("Size: got %d after the refused write, want %d as before", sizeAfter, sizeBefore)
			}
			if !slices.Equal(keysAfter, []string{"a"}) {
				t.Errorf("Keys: got %q after the refused write, want [a]", keysAfter)
			}
			next := start
			if tc.wantSet {
				c := oneCookie(t, resp)
				if sizeOf(c) > cookiesession.MaxCookieSize || sizeOf(c) != sizeBefore {
					t.Errorf("cookie size: got %d, want %d (<= 4096)", sizeOf(c), sizeBefore)
				}
				next = c.Value
			} else {
				noCookie(t, resp)
			}
			serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
				var a string
				if _, err := s.Get("a", &a); err != nil || a != tc.wantValue {
					t.Errorf("next request: got a=%q (%v), want %q", a, err, tc.wantValue)
				}
				if f := s.Flashes("info"); len(f) != 0 {
					t.Errorf("next request: got flashes %q, want none", f)
				}
				if s.Has("big") {
					t.Errorf("next request: got key big, want it absent")
				}
			}), "__Host-session="+next)
		})
	}
}

func TestSizeErrorLargest(t *testing.T) {
	m := mustNew(t, freshRing(t), cookiesession.Config{})
	serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		for _, kv := range []struct {
			k string
			n int
		}{{"k1", 1000}, {"k2", 1500}, {"k3", 200}, {"k4", 10}} {
			if err := s.Set(kv.k, strings.Repeat("x", kv.n)); err != nil {
				t.Fatalf("Set(%s): %v", kv.k, err)
			}
		}
		err := s.Set("k5", strings.Repeat("x", 1200))
		var se *cookiesession.SizeError
		if !errors.As(err, &se) {
			t.Fatalf("got %v, want a *SizeError", err)
		}
		want := []string{"k2", "k5", "k1"}
		if len(se.Largest) != len(want) {
			t.Fatalf("Largest: got %q, want %q", se.Largest, want)
		}
		for i, k := range want {
			if !strings.HasPrefix(se.Largest[i], k+" ") {
				t.Errorf("Largest[%d]: got %q, want %s", i, se.Largest[i], k)
			}
		}
		if !strings.Contains(err.Error(), "k2") {
			t.Errorf("Error(): got %q, want it to name k2", err)
		}
	}))
}

// TestSizeFill fills a session to the largest value that fits and checks
// that the cookie written is within the browser's limit and as large as
// Session.Size says.
func TestSizeFill(t *testing.T) {
	for _, name := range []string{"__Host-session", "s", "__Secure-" + strings.Repeat("n", 200)} {
		t.Run(name, func(t *testing.T) {
			m := mustNew(t, freshRing(t), cookiesession.Config{Name: name})
			for _, flash := range []bool{false, true} {
				var size, largest int
				resp := serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
					if err := s.Set("a", "some other value"); err != nil {
						t.Fatal(err)
					}
					put := func(n int) error { return s.Set("fill", strings.Repeat("x", n)) }
					if flash {
						put = func(n int) error { return s.Flash("fill", strings.Repeat("x", n)) }
					}
					lo, hi := 0, cookiesession.MaxCookieSize // put(lo) fits, put(hi) does not
					for hi-lo > 1 {
						mid := (lo + hi) / 2
						err := put(mid)
						switch {
						case err == nil:
							lo = mid
							if flash {
								s.Flashes("fill") // take it back out
							}
						case errors.Is(err, cookiesession.ErrTooLarge):
							hi = mid
						default:
							t.Fatalf("put(%d): %v", mid, err)
						}
					}
					if err := put(lo); err != nil {
						t.Fatalf("put(%d): %v", lo, err)
					}
					if err := put(lo + 1); !errors.Is(err, cookiesession.ErrTooLarge) {
						t.Errorf("put(%d) over a full session: got %v, want ErrTooLarge", lo+1, err)
					}
					largest = lo
					size = s.Size()
				}))
				c := oneCookie(t, resp)
				if sizeOf(c) != size {
					t.Errorf("flash %v: cookie name+value: got %d, want Size() = %d", flash, sizeOf(c), size)
				}
				if sizeOf(c) > cookiesession.MaxCookieSize || sizeOf(c) < cookiesession.MaxCookieSize-3 {
					t.Errorf("flash %v: cookie name+value: got %d, want 4093..4096", flash, sizeOf(c))
				}
				if largest == 0 {
					t.Errorf("flash %v: nothing fit", flash)
				}
			}
		})
	}
}
