package bench_test

import (
	"encoding/base64"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/cookiesession/cookiesession"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

const sessionName = "session"

// observation is what the handler saw when it loaded the session, before
// changing it.
type observation struct {
	isNew  bool
	values map[any]any
	err    error // from store.Get
}

// sessionServer serves a gorilla/sessions CookieStore whose codec is a
// cookiesession.Codec. GET /set stores user=alice and n=3; any other path
// only loads the session. Each request reports what it loaded on seen.
type sessionServer struct {
	store  atomic.Pointer[sessions.CookieStore]
	seen   chan observation
	ts     *httptest.Server
	client *http.Client // keeps cookies in a jar
}

func newSessionServer(t *testing.T, codec *cookiesession.Codec) *sessionServer {
	t.Helper()
	s := &sessionServer{seen: make(chan observation, 1)}
	s.useCodec(codec)
	s.ts = httptest.NewTLSServer(s)
	t.Cleanup(s.ts.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := *s.ts.Client()
	client.Jar = jar
	s.client = &client
	return s
}

// useCodec makes the server's store seal and open with codec alone, as
// replacing securecookie in a gorilla/sessions application does.
func (s *sessionServer) useCodec(codec *cookiesession.Codec) {
	store := sessions.NewCookieStore()
	store.Codecs = []securecookie.Codec{codec}
	s.store.Store(store)
}

func (s *sessionServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	session, err := s.store.Load().Get(r, sessionName)
	s.seen <- observation{isNew: session.IsNew, values: maps.Clone(session.Values), err: err}
	if r.URL.Path != "/set" {
		return
	}
	session.Values["user"] = "alice"
	session.Values["n"] = 3
	if err := session.Save(r, w); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// get requests path with the client's cookie jar and returns what the
// handler loaded.
func (s *sessionServer) get(t *testing.T, path string) observation {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.do(t, s.client, req)
}

func (s *sessionServer) do(t *testing.T, client *http.Client, req *http.Request) observation {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got status %d (%s), want 200", req.URL.Path, resp.StatusCode, body)
	}
	select {
	case o := <-s.seen:
		return o
	default:
		t.Fatalf("GET %s: the handler did not run", req.URL.Path)
		return observation{}
	}
}

// cookie returns the session cookie's value from the client's jar.
func (s *sessionServer) cookie(t *testing.T) string {
	t.Helper()
	u, _ := url.Parse(s.ts.URL)
	for _, c := range s.client.Jar.Cookies(u) {
		if c.Name == sessionName {
			return c.Value
		}
	}
	t.Fatalf("no %q cookie in the jar", sessionName)
	return ""
}

func newCodec(t testing.TB, secrets ...[]byte) *cookiesession.Codec {
	t.Helper()
	ring, err := cookiesession.NewKeyRing(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return cookiesession.NewCodec(ring, 0)
}

// wantAliceAndThree checks the values /set stores, as they come back from
// the cookie. Codec stores JSON, so the int 3 comes back as float64(3), as
// Codec's documentation says.
func wantAliceAndThree(t *testing.T, o observation) {
	t.Helper()
	if o.err != nil || o.isNew {
		t.Fatalf("loading the session: got isNew=%v, err=%v; want an existing session", o.isNew, o.err)
	}
	if got := o.values["user"]; got != "alice" {
		t.Errorf(`Values["user"]: got %#v, want "alice"`, got)
	}
	if got := o.values["n"]; got != float64(3) {
		t.Errorf(`Values["n"]: got %#v (%T), want float64(3)`, got, got)
	}
	if len(o.values) != 2 {
		t.Errorf("Values: got %d entries (%v), want 2", len(o.values), o.values)
	}
}

func TestGorillaCookieStoreRoundTrip(t *testing.T) {
	s := newSessionServer(t, newCodec(t, cookiesession.GenerateKey()))

	if o := s.get(t, "/set"); !o.isNew || o.err != nil || len(o.values) != 0 {
		t.Fatalf("first request: got isNew=%v, err=%v, values=%v; want a new empty session", o.isNew, o.err, o.values)
	}
	wantAliceAndThree(t, s.get(t, "/"))
	wantAliceAndThree(t, s.get(t, "/")) // reading does not consume anything
}

// invalidReason returns the reason a cookie was refused, from an error
// returned by CookieStore.Get or New. Those wrap the codec's error in a
// securecookie.MultiError, one element per codec, which has no Unwrap
// method: errors.Is(err, cookiesession.ErrInvalid) is false on the error as
// returned, and callers must look inside the MultiError.
func invalidReason(t *testing.T, err error) cookiesession.Reason {
	t.Helper()
	if errors.Is(err, cookiesession.ErrInvalid) {
		t.Error("errors.Is(err, ErrInvalid) is true: MultiError now unwraps; update README.md")
	}
	var multi securecookie.MultiError
	if !errors.As(err, &multi) || len(multi) != 1 {
		t.Fatalf("got error %#v, want a securecookie.MultiError holding one error", err)
	}
	if !errors.Is(multi[0], cookiesession.ErrInvalid) {
		t.Fatalf("got %v, want an error matching cookiesession.ErrInvalid", multi[0])
	}
	var invalid *cookiesession.InvalidError
	if !errors.As(multi[0], &invalid) {
		t.Fatalf("got %T, want a *cookiesession.InvalidError", multi[0])
	}
	return invalid.Reason
}

func TestGorillaCookieStoreTampered(t *testing.T) {
	s := newSessionServer(t, newCodec(t, cookiesession.GenerateKey()))
	s.get(t, "/set")
	value := s.cookie(t)

	// Change one character in the middle, inside the ciphertext; the value
	// stays canonical base64url, so only the AEAD tag can catch it.
	i := len(value) / 2
	repl := byte('A')
	if value[i] == repl {
		repl = 'B'
	}
	tampered := value[:i] + string(repl) + value[i+1:]

	req, err := http.NewRequest(http.MethodGet, s.ts.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: sessionName, Value: tampered})
	o := s.do(t, s.ts.Client(), req) // no jar: send only the tampered cookie

	if !o.isNew || len(o.values) != 0 {
		t.Errorf("tampered cookie: got isNew=%v, values=%v; want a new empty session", o.isNew, o.values)
	}
	if o.err == nil {
		t.Fatal("tampered cookie: store.Get returned no error")
	}
	if got := invalidReason(t, o.err); got != cookiesession.ReasonAuth {
		t.Errorf("tampered cookie: got reason %q, want %q", got, cookiesession.ReasonAuth)
	}

	// The untampered cookie, still in the jar, opens as before.
	wantAliceAndThree(t, s.get(t, "/"))
}

func TestGorillaCookieStoreKeyRotation(t *testing.T) {
	oldKey, newKey := cookiesession.GenerateKey(), cookiesession.GenerateKey()
	s := newSessionServer(t, newCodec(t, oldKey))
	s.get(t, "/set") // sealed under oldKey

	// Rotate as an operator would, with SESSION_KEYS="new,old"; the two keys
	// are spelled in different base64 alphabets, which ParseKeyRing accepts.
	ring, err := cookiesession.ParseKeyRing(base64.StdEncoding.EncodeToString(newKey) + "," +
		base64.RawURLEncoding.EncodeToString(oldKey))
	if err != nil {
		t.Fatal(err)
	}
	s.useCodec(cookiesession.NewCodec(ring, 0))

	wantAliceAndThree(t, s.get(t, "/"))
	stats := ring.Stats()
	if stats[0].Opens != 0 || stats[1].Opens != 1 {
		t.Errorf("after opening the old cookie: got opens new=%d, old=%d; want 0 and 1", stats[0].Opens, stats[1].Opens)
	}

	// The next save seals under the new primary: the new key alone opens
	// it, and the old key no longer does.
	s.get(t, "/set")
	value := s.cookie(t)
	var values map[any]any
	if err := newCodec(t, newKey).Decode(sessionName, value, &values); err != nil {
		t.Errorf("re-saved cookie: opening with the new key alone: %v", err)
	}
	err = newCodec(t, oldKey).Decode(sessionName, value, &values)
	var invalid *cookiesession.InvalidError
	if !errors.As(err, &invalid) || invalid.Reason != cookiesession.ReasonUnknownKey {
		t.Errorf("re-saved cookie: opening with the old key alone: got %v, want reason %q", err, cookiesession.ReasonUnknownKey)
	}
}
