package bench_test

import (
	"encoding/gob"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// These benchmarks compare whole sessions rather than single values: a
// session of 8 entries, about 600 bytes of JSON, through each library's
// middleware or store (BenchmarkMiddleware), and opened to read one entry
// (BenchmarkOpenRead). TestSessionHandlers checks that every handler
// measured does its work.

// sessionData is the medium session as one struct, the form in which a
// securecookie user would encode it; entries gives it entry by entry, the
// form in which a session stores it.
type sessionData struct {
	User    string            `json:"user"`
	Roles   []string          `json:"roles"`
	Prefs   map[string]string `json:"prefs"`
	Cart    []cartItem        `json:"cart"`
	CSRF    string            `json:"csrf"`
	Locale  string            `json:"locale"`
	LoginAt time.Time         `json:"login_at"`
	Counter int               `json:"counter"`
}

var mediumSession = sessionData{
	User:  "Alice Example",
	Roles: []string{"member", "billing-admin", "project-owner", "support-reader"},
	Prefs: map[string]string{"theme": "dark", "time_zone": "Europe/London", "density": "compact", "start_page": "/projects"},
	Cart:  cart(3),
	// A token is random in real life; its length is what matters here.
	CSRF:    "x3Jq9vR2mT8kLwZ0pN5sYb7cHdF1gUe4aQiVoXrKjE6",
	Locale:  "en-GB",
	LoginAt: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC),
	Counter: 41,
}

type sessionEntry struct {
	key   string
	value any
}

func (d *sessionData) entries() []sessionEntry {
	return []sessionEntry{
		{"user", d.User}, {"roles", d.Roles}, {"prefs", d.Prefs}, {"cart", d.Cart},
		{"csrf", d.CSRF}, {"locale", d.Locale}, {"login_at", d.LoginAt}, {"counter", d.Counter},
	}
}

func init() {
	// gob needs the concrete types behind gorilla's map[any]any registered.
	gob.Register([]cartItem(nil))
	gob.Register(map[string]string(nil))
	gob.Register(time.Time{})
}

func TestMediumSessionSize(t *testing.T) {
	n := 0
	for _, e := range mediumSession.entries() {
		b, err := json.Marshal(e.value)
		if err != nil {
			t.Fatal(err)
		}
		n += len(b)
	}
	t.Logf("medium session: %d bytes of JSON in %d entries", n, len(mediumSession.entries()))
	if n < 550 || n > 650 {
		t.Errorf("medium session: got %d bytes of JSON, want 550 to 650", n)
	}
}

// The handlers' operations on the session.
const (
	opUntouched = "untouched"  // never touches the session
	opReadOne   = "read-one"   // reads the user name
	opChangeOne = "change-one" // increments the counter
)

var (
	ops    = []string{opUntouched, opReadOne, opChangeOne}
	okBody = []byte("ok")
)

// fail makes a handler's response a 500, which the benchmarks and the tests
// look for: a handler that did not do its work measures nothing.
func fail(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) }

// sessionImpl is a session library under comparison, named for benchstat's
// /impl.
type sessionImpl struct {
	name string
	// handler returns a handler, wrapped as the library needs, that does op
	// and writes okBody, or fails.
	handler func(op string) http.Handler
	// seed is a handler that stores mediumSession.
	seed http.Handler
	// open returns the session a cookie carries, as a map from key to value
	// as JSON, for the tests.
	open func(tb testing.TB, c *http.Cookie) map[string]string
}

// newManager returns a Manager with a new key and the default Config.
func newManager(tb testing.TB) *cookiesession.Manager {
	ring, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
	if err != nil {
		tb.Fatal(err)
	}
	m, err := cookiesession.New(ring, cookiesession.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// newCookiesession returns m's middleware.
func newCookiesession(m *cookiesession.Manager) sessionImpl {
	handlers := map[string]http.HandlerFunc{
		opUntouched: func(w http.ResponseWriter, r *http.Request) { w.Write(okBody) },
		opReadOne: func(w http.ResponseWriter, r *http.Request) {
			var user string
			if ok, err := m.Get(r).Get("user", &user); !ok || err != nil || user != mediumSession.User {
				fail(w)
				return
			}
			w.Write(okBody)
		},
		opChangeOne: func(w http.ResponseWriter, r *http.Request) {
			s := m.Get(r)
			var n int
			if ok, err := s.Get("counter", &n); !ok || err != nil {
				fail(w)
				return
			}
			if err := s.Set("counter", n+1); err != nil {
				fail(w)
				return
			}
			w.Write(okBody)
		},
	}
	seed := func(w http.ResponseWriter, r *http.Request) {
		s := m.Get(r)
		for _, e := range mediumSession.entries() {
			if err := s.Set(e.key, e.value); err != nil {
				fail(w)
				return
			}
		}
	}
	open := func(tb testing.TB, c *http.Cookie) map[string]string {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(c)
		s := m.Load(r)
		if s.IsNew() {
			tb.Fatal("cookiesession: the cookie does not open")
		}
		values := map[string]string{}
		for _, k := range s.Keys() {
			var v json.RawMessage
			if _, err := s.Get(k, &v); err != nil {
				tb.Fatal(err)
			}
			values[k] = string(v)
		}
		return values
	}
	return sessionImpl{
		name:    "cookiesession",
		handler: func(op string) http.Handler { return m.Handler(handlers[op]) },
		seed:    m.Handler(http.HandlerFunc(seed)),
		open:    open,
	}
}

// newGorillaSessions returns gorilla/sessions' CookieStore as its
// documentation sets it up: securecookie with a hash key and a block key,
// so the cookie is signed and encrypted, and gob.
func newGorillaSessions(tb testing.TB) sessionImpl {
	store := sessions.NewCookieStore(hashKey(), cookiesession.GenerateKey())
	handlers := map[string]http.HandlerFunc{
		opUntouched: func(w http.ResponseWriter, r *http.Request) { w.Write(okBody) },
		opReadOne: func(w http.ResponseWriter, r *http.Request) {
			s, err := store.Get(r, sessionName)
			if user, _ := s.Values["user"].(string); err != nil || s.IsNew || user != mediumSession.User {
				fail(w)
				return
			}
			w.Write(okBody)
		},
		opChangeOne: func(w http.ResponseWriter, r *http.Request) {
			s, err := store.Get(r, sessionName)
			n, ok := s.Values["counter"].(int)
			if err != nil || !ok {
				fail(w)
				return
			}
			s.Values["counter"] = n + 1
			if err := s.Save(r, w); err != nil {
				fail(w)
				return
			}
			w.Write(okBody)
		},
	}
	seed := func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, sessionName)
		for _, e := range mediumSession.entries() {
			s.Values[e.key] = e.value
		}
		if err := s.Save(r, w); err != nil {
			fail(w)
		}
	}
	open := func(tb testing.TB, c *http.Cookie) map[string]string {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(c)
		s, err := store.New(r, sessionName)
		if err != nil || s.IsNew {
			tb.Fatalf("gorilla/sessions: the cookie does not open: %v", err)
		}
		values := map[string]string{}
		for k, v := range s.Values {
			b, err := json.Marshal(v)
			if err != nil {
				tb.Fatal(err)
			}
			values[k.(string)] = string(b)
		}
		return values
	}
	return sessionImpl{
		name:    "gorilla-sessions",
		handler: func(op string) http.Handler { return handlers[op] },
		seed:    http.HandlerFunc(seed),
		open:    open,
	}
}

func sessionImpls(tb testing.TB) []sessionImpl {
	return []sessionImpl{newCookiesession(newManager(tb)), newGorillaSessions(tb)}
}

// seedCookie runs im.seed and returns the cookie it sets.
func seedCookie(tb testing.TB, im sessionImpl) *http.Cookie {
	tb.Helper()
	w := httptest.NewRecorder()
	im.seed.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	cookies := w.Result().Cookies()
	if w.Code != http.StatusOK || len(cookies) != 1 {
		tb.Fatalf("%s: storing the session: got status %d and %d cookies, want 200 and 1", im.name, w.Code, len(cookies))
	}
	return &http.Cookie{Name: cookies[0].Name, Value: cookies[0].Value}
}

// requestWith returns a request carrying c, as a browser sends it.
func requestWith(c *http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(c)
	return r
}

// discardWriter is a cheap http.ResponseWriter: a header map, reset before
// each request, and the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.h }

func (w *discardWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}

func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *discardWriter) reset() {
	clear(w.h)
	w.status = 0
}

// serve serves a copy of r: gorilla/sessions stores its registry of
// decoded sessions in the request it is given, so a request served twice
// would not be decoded the second time. Every benchmark pays for the copy.
func serve(h http.Handler, w *discardWriter, r *http.Request) {
	w.reset()
	req := *r
	h.ServeHTTP(w, &req)
}

func TestSessionHandlers(t *testing.T) {
	want := map[string]string{}
	for _, e := range mediumSession.entries() {
		b, _ := json.Marshal(e.value)
		want[e.key] = string(b)
	}
	for _, im := range sessionImpls(t) {
		c := seedCookie(t, im)
		if got := im.open(t, c); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the stored session: got %v, want %v", im.name, got, want)
		}
		for _, op := range ops {
			t.Run(op+"/"+im.name, func(t *testing.T) {
				w := httptest.NewRecorder()
				im.handler(op).ServeHTTP(w, requestWith(c))
				cookies := w.Result().Cookies()
				if w.Code != http.StatusOK || w.Body.String() != string(okBody) {
					t.Fatalf("got status %d and body %q, want 200 and %q", w.Code, w.Body, okBody)
				}
				if op != opChangeOne {
					if len(cookies) != 0 {
						t.Errorf("got %d cookies set, want none", len(cookies))
					}
					return
				}
				if len(cookies) != 1 {
					t.Fatalf("got %d cookies set, want 1", len(cookies))
				}
				got := im.open(t, cookies[0])
				wantChanged := maps.Clone(want)
				wantChanged["counter"] = fmt.Sprint(mediumSession.Counter + 1)
				if !reflect.DeepEqual(got, wantChanged) {
					t.Errorf("the new cookie: got %v, want %v", got, wantChanged)
				}
			})
		}
	}

	// The discardWriter sees the same: the status, and a cookie only when
	// the session changed.
	for _, im := range sessionImpls(t) {
		r := requestWith(seedCookie(t, im))
		for _, op := range ops {
			w := &discardWriter{h: http.Header{}}
			serve(im.handler(op), w, r)
			if err := checkResponse(w, op); err != nil {
				t.Errorf("%s %s, discardWriter: %v", op, im.name, err)
			}
		}
	}
}

// checkResponse reports whether w holds the response op should give.
func checkResponse(w *discardWriter, op string) error {
	wantCookies := 0
	if op == opChangeOne {
		wantCookies = 1
	}
	if n := len(w.h["Set-Cookie"]); w.status != http.StatusOK || n != wantCookies {
		return fmt.Errorf("got status %d and %d cookies, want 200 and %d", w.status, n, wantCookies)
	}
	return nil
}

// BenchmarkMiddleware serves a request carrying the medium session's
// cookie through each library, for each op, and through a plain handler
// with no sessions (op=bare, impl=none).
func BenchmarkMiddleware(b *testing.B) {
	for _, op := range ops {
		for _, im := range sessionImpls(b) {
			b.Run("op="+op+"/impl="+im.name, func(b *testing.B) {
				c := seedCookie(b, im)
				benchServe(b, im.handler(op), requestWith(c), op)
				b.ReportMetric(float64(len(c.Name)+len(c.Value)), "cookie-bytes")
			})
		}
	}
	b.Run("op=bare/impl=none", func(b *testing.B) {
		bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(okBody) })
		benchServe(b, bare, httptest.NewRequest(http.MethodGet, "/", nil), "bare")
	})
}

func benchServe(b *testing.B, h http.Handler, r *http.Request, op string) {
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		serve(h, w, r)
	}
	if err := checkResponse(w, op); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOpenRead takes the medium session's cookie from a request and
// reads the user name: cookiesession opens the session and unmarshals that
// one entry; securecookie decodes the whole session into a sessionData,
// its fastest form (gorilla/sessions decodes into a map[any]any instead).
func BenchmarkOpenRead(b *testing.B) {
	b.Run("impl=cookiesession", func(b *testing.B) {
		m := newManager(b)
		c := seedCookie(b, newCookiesession(m))
		r := requestWith(c)
		b.ReportAllocs()
		for b.Loop() {
			var user string
			if ok, err := m.Load(r).Get("user", &user); !ok || err != nil || user != mediumSession.User {
				b.Fatalf("user: got %q, %v, %v; want %q", user, ok, err, mediumSession.User)
			}
		}
		b.ReportMetric(float64(len(c.Name)+len(c.Value)), "cookie-bytes")
	})
	gob := securecookie.New(hashKey(), cookiesession.GenerateKey())
	js := securecookie.New(hashKey(), cookiesession.GenerateKey())
	js.SetSerializer(securecookie.JSONEncoder{})
	for _, im := range []impl{{"securecookie-gob", gob}, {"securecookie-json", js}} {
		b.Run("impl="+im.name, func(b *testing.B) {
			value := roundTrip(b, im.codec, &mediumSession)
			r := requestWith(&http.Cookie{Name: cookieName, Value: value})
			b.ReportAllocs()
			for b.Loop() {
				c, err := r.Cookie(cookieName)
				if err != nil {
					b.Fatal(err)
				}
				var d sessionData
				if err := im.codec.Decode(cookieName, c.Value, &d); err != nil || d.User != mediumSession.User {
					b.Fatalf("user: got %q, %v; want %q", d.User, err, mediumSession.User)
				}
			}
			b.ReportMetric(float64(len(cookieName)+len(value)), "cookie-bytes")
		})
	}
}
