package cookiesession

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// The checks of the vectors that give max_cookies, for an opener that
// reads a session split over several cookies (FORMAT.md "Chunked cookies
// (version 3)"): beyond the spec and the codec, KeyRing.InspectChunks and
// a Manager serving a request that carries the vector's cookies.

// specInput is what the spec's opener is given for v.
func (v validVector) specInput(secrets [][]byte, skew int64) specInput {
	return specInput{secrets: secrets, cookie: v.Cookie, via: transports[v.Transport], value: v.Value, now: v.Now, skew: skew,
		cookies: v.Cookies, max: v.MaxCookies}
}

// specInput is what the spec's opener is given for v.
func (v invalidVector) specInput(tb testing.TB, secrets [][]byte, skew int64) specInput {
	tb.Helper()
	if v.Cookies != nil && (v.Value != "" || v.MaxCookies == 0) {
		tb.Fatalf("cookies with a value or without max_cookies: want cookies alone, for an opener that reads chunks")
	}
	return specInput{secrets: secrets, cookie: v.Cookie, via: byte(vectorTransport(tb, v.Transport)), value: v.Value, now: v.Now, skew: skew,
		cookies: v.Cookies, max: v.MaxCookies}
}

// chunkValues returns the values of name and its chunks name.1 to
// name.(n-1) in cookies, as KeyRing.InspectChunks takes them: the first of
// each name, "" for one the cookies lack.
func chunkValues(name string, cookies []cookiePair, n int) []string {
	values := make([]string, n)
	for i := range values {
		for _, c := range cookies {
			if c.Name == specChunkName(name, i) {
				values[i] = c.Value
				break
			}
		}
	}
	return values
}

// ambiguous reports whether cookies carry one name with two values, which
// KeyRing.InspectChunks cannot be given.
func ambiguous(cookies []cookiePair) bool {
	seen := map[string]string{}
	for _, c := range cookies {
		if v, ok := seen[c.Name]; ok && v != c.Value {
			return true
		}
		seen[c.Name] = c.Value
	}
	return false
}

// lineLens returns the length of each line.
func lineLens(lines []string) []int {
	n := make([]int, len(lines))
	for i, l := range lines {
		n[i] = len(l)
	}
	return n
}

func cookieNames(cs []cookiePair) []string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return names
}

// opens reports whether c opens value, joined from chunks cookies, into p.
func opens(c *Codec, p *payload, name, value string, t transport, chunks int, now time.Time) bool {
	_, err := c.open(p, name, value, t, chunks, now)
	return err == nil
}

// vectorManager returns a Manager of the ring of secrets with cfg, whose
// MaxSize, if it reads several cookies, lets each be full.
func vectorManager(tb testing.TB, secrets [][]byte, cfg Config) *Manager {
	tb.Helper()
	ring, err := NewKeyRing(secrets...)
	if err != nil {
		tb.Fatal(err)
	}
	if cfg.MaxCookies > 1 {
		cfg.MaxSize = cfg.MaxCookies * MaxCookieSize
	}
	m, err := New(ring, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// cookieRequest returns a request whose Cookie header carries cookies, in
// their order.
func cookieRequest(cookies []cookiePair) *http.Request {
	req := httptest.NewRequest("GET", "https://example.com/", nil)
	pairs := make([]string, len(cookies))
	for i, c := range cookies {
		pairs[i] = c.Name + "=" + c.Value
	}
	req.Header.Set("Cookie", strings.Join(pairs, "; "))
	return req
}

// loaded is what a Manager's session holds once it has read the request.
type loaded struct {
	s       specPlain
	cookies int
	key     *ringKey
	isNew   bool
	errs    []error // what OnInvalid was given
	header  http.Header
}

// serveVector serves a request carrying cookies through a Manager with
// cfg, at now, and returns what the session read and the response.
func serveVector(t *testing.T, secrets [][]byte, cfg Config, cookies []cookiePair, now int64) loaded {
	var l loaded
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(time.Unix(now, 0).Sub(time.Now()))
		cfg.OnInvalid = func(_ *http.Request, err error) { l.errs = append(l.errs, err) }
		m := vectorManager(t, secrets, cfg)
		rec := httptest.NewRecorder()
		m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := m.Get(r)
			s.lock()
			defer s.mu.Unlock()
			l.s, l.cookies, l.key, l.isNew = specFromPayload(&s.p), s.cookies, s.key, s.isNew
		})).ServeHTTP(rec, cookieRequest(cookies))
		l.header = rec.Result().Header
	})
	return l
}

// checkManagerOpens checks that a Manager reading up to v.MaxCookies
// cookies opens v's cookies to v's session, split as its own writes split
// it, and writes nothing back for a value under the primary key.
func checkManagerOpens(t *testing.T, v validVector, secrets [][]byte, want specPlain) {
	cfg := Config{Name: v.Cookie, MaxCookies: v.MaxCookies}
	m := vectorManager(t, secrets, cfg)
	if got, _ := m.layout(len(decodeHex(t, v.Plaintext))); got != len(v.Cookies) {
		t.Errorf("Manager.layout: got %d cookies, want %d", got, len(v.Cookies))
	}
	if v.Version == version3 {
		var want []string
		for _, c := range v.Cookies {
			want = append(want, c.Name+"="+c.Value)
		}
		if got := m.split(nil, []byte(v.Value), ""); !slices.Equal(got, want) {
			t.Errorf("Manager.split: got cookies of %d bytes, want %d", lineLens(got), lineLens(want))
		}
	}
	l := serveVector(t, secrets, cfg, v.Cookies, v.Now)
	if len(l.errs) > 0 || l.isNew {
		t.Fatalf("Manager: got a new session and OnInvalid %v, want the vector's session", l.errs)
	}
	if !equalSpec(l.s, want) || l.cookies != len(v.Cookies) || l.key.id != m.keys.keys[v.SealedWith].id {
		t.Errorf("Manager: got %v in %d cookies under key %x\nwant %v in %d under %x",
			l.s, l.cookies, l.key.id, want, len(v.Cookies), m.keys.keys[v.SealedWith].id)
	}
	if set := l.header.Values("Set-Cookie"); v.SealedWith == 0 && len(set) > 0 {
		t.Errorf("Manager: got Set-Cookie %q for a value under the primary key, want none", set)
	}
}

// checkInvalidChunks checks that KeyRing.InspectChunks and a Manager, each
// reading up to v.MaxCookies cookies, reject v's cookies for reason.
// InspectChunks takes one value for each name, so it is not given cookies
// that carry a name twice with two values.
func checkInvalidChunks(t *testing.T, reason Reason, v invalidVector, ring *KeyRing, secrets [][]byte) {
	t.Helper()
	cookies := v.Cookies
	if cookies == nil {
		cookies = []cookiePair{{v.Cookie, v.Value}}
	}
	if v.Transport != "cookie" {
		t.Fatalf("max_cookies for a %s: chunks are cookies", v.Transport)
	}
	if !ambiguous(cookies) {
		_, err := ring.InspectChunks(v.Cookie, chunkValues(v.Cookie, cookies, v.MaxCookies), time.Unix(v.Now, 0))
		wantInvalid(t, err, reason)
	}
	l := serveVector(t, secrets, Config{Name: v.Cookie, MaxCookies: v.MaxCookies}, cookies, v.Now)
	if !l.isNew || len(l.errs) != 1 {
		t.Fatalf("Manager: got new %v and OnInvalid %v, want a new session and one error", l.isNew, l.errs)
	}
	wantInvalid(t, l.errs[0], reason)
}
