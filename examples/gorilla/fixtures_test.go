package gorilla_test

import (
	"encoding/gob"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	ginsessions "github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"
)

// The root package's migration tests read cookies that gorilla/sessions
// and gin-contrib/sessions saved, from a file that this test writes: the
// root module links neither, and its tests register none of the built-in
// types that gorilla needs registered to save them, as a program that
// has moved off gorilla does not.

var update = flag.Bool("update", false, "rewrite "+fixturesPath)

const fixturesPath = "../../testdata/gorilla-cookies.json"

// fixtureFile is the file's layout, which the root package's tests share.
type fixtureFile struct {
	Comment string             `json:"comment"`
	SavedAt time.Time          `json:"saved_at"`
	Keys    map[string]string  `json:"keys"`
	Cookies map[string]fixture `json:"cookies"`
}

type fixture struct {
	Store string   `json:"store"`
	Name  string   `json:"name"`
	Keys  []string `json:"keys"` // the store's key pairs, by name in Keys; "" for no block key
	Value string   `json:"value"`
}

// fixtureKeys are the keys of the stores that save the fixtures: test
// keys, do not use.
var fixtureKeys = map[string]string{
	"hash":     "do not use: the fixture hash key, not for any real store",
	"block":    "do not use: fixture block key #1",
	"oldBlock": "do not use: fixture block key #2",
}

// Types of the application that saved the fixtures, registered under the
// names gob gives types of package main.
type (
	fixtureUser struct {
		ID    int      `json:"id"`
		Name  string   `json:"name"`
		Roles []string `json:"roles,omitempty"`
	}
	fixtureCart struct {
		Items []string `json:"items"`
	}
	fixtureHook struct {
		Name string
		Done func() // gob skips it; JSON refuses it
	}
	fixtureNote    struct{ Text string } // the root tests register nothing under its name
	fixtureProfile struct {
		Name  string
		Extra interface{} // a built-in value in it needs its type registered
	}
)

// marker is in values that must never appear in an error.
const marker = "value-marker"

var registerOnce sync.Once

// registerFixtureTypes registers what the old application registered: its
// own types, and the built-in types that gob needs registered to send
// them inside an interface value.
func registerFixtureTypes() {
	registerOnce.Do(func() {
		gob.RegisterName("main.User", fixtureUser{})
		gob.RegisterName("*main.Cart", &fixtureCart{})
		gob.RegisterName("main.Hook", fixtureHook{})
		gob.RegisterName("main.Note", fixtureNote{})
		gob.RegisterName("main.Profile", fixtureProfile{})
		for _, v := range []any{
			map[interface{}]interface{}{}, []float32{}, [3]int{}, [4]uint8{}, map[int]string{}, map[string]int{},
		} {
			gob.Register(v)
		}
	})
}

// fixtureSpec is how one fixture is saved: by a gorilla CookieStore
// called "session", or by gin-contrib's cookie store called "mysession".
type fixtureSpec struct {
	name    string
	keys    []string
	gorilla func(s *sessions.Session)
	gin     func(s ginsessions.Session)
	ginWant map[interface{}]interface{} // what gorilla finds in the gin cookie
}

// value returns a spec whose session holds v under "v", and user "alice".
func value(name string, v any) fixtureSpec {
	return fixtureSpec{name: name, keys: []string{"hash", "block"}, gorilla: func(s *sessions.Session) {
		s.Values["v"], s.Values["user"] = v, "alice"
	}}
}

func flashes(name string, add func(s *sessions.Session)) fixtureSpec {
	return fixtureSpec{name: name, keys: []string{"hash", "block"}, gorilla: func(s *sessions.Session) {
		add(s)
		s.Values["user"] = "alice"
	}}
}

// everything puts in a session one value of each kind a session holds.
func everything(s *sessions.Session) {
	s.Values["user"] = fixtureUser{ID: 7, Name: "alice"}
	s.Values["visits"] = 3
	s.Values["since"] = time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)
	s.Values["prefs"] = map[string]interface{}{"theme": "dark"}
	s.AddFlash("Welcome back")
}

var when = time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)

func fixtureSpecs() []fixtureSpec {
	return []fixtureSpec{
		value("values/string", "alice"),
		value("values/empty string", ""),
		value("values/int", 42),
		value("values/int8", int8(-128)),
		value("values/int64", int64(1)<<62),
		value("values/uint8", uint8(255)),
		value("values/uint64", uint64(1)<<63),
		value("values/float64", 3.25),
		value("values/float32", float32(0.1)),
		value("values/bool", true),
		value("values/bytes", []byte{0, 1, 0xff}),
		value("values/nil", nil),
		value("values/time", when),
		value("values/string slice", []string{"a", "b"}),
		value("values/int slice", []int{1, 2}),
		value("values/float32 slice", []float32{0.1}),
		value("values/empty slice", []string(nil)), // gob sends []string{} alike, and reads nil
		value("values/interface slice", []interface{}{"a", 1, true}),
		value("values/array", [3]int{1, 2, 3}),
		value("values/byte array", [4]uint8{1, 2, 3, 4}),
		value("values/string map", map[string]interface{}{"theme": "dark", "size": 12}),
		value("values/typed map", map[string]int{"a": 1}),
		value("values/int-keyed map", map[int]string{1: "a"}),
		value("values/interface map of string keys", map[interface{}]interface{}{"a": map[interface{}]interface{}{"b": 1}}),
		value("values/nested", map[string]interface{}{"list": []interface{}{map[string]interface{}{"at": when}, []interface{}{"x"}}}),
		value("values/struct", fixtureUser{ID: 7, Name: "alice", Roles: []string{"admin"}}),
		value("values/pointer to struct", &fixtureCart{Items: []string{"a-1"}}),
		value("values/struct in a slice", []interface{}{fixtureUser{ID: 8}}),

		value("drops/infinity in a slice", []interface{}{1.0, math.Inf(1)}),
		value("drops/map with an int key", map[interface{}]interface{}{1: marker}),
		value("drops/unregistered type", fixtureNote{marker}),
		value("drops/unregistered type in a slice", []interface{}{"a", fixtureNote{marker}}),
		value("drops/struct with a func field", fixtureHook{Name: marker}),
		value("drops/time past year 9999", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)),
		value("drops/built-in in a struct field", fixtureProfile{Name: marker, Extra: []interface{}{marker}}),

		flashes("flashes/default key", func(s *sessions.Session) { s.AddFlash("saved"); s.AddFlash("welcome") }),
		flashes("flashes/named kinds", func(s *sessions.Session) {
			s.AddFlash("saved")
			s.AddFlash("bad", "errors")
			s.AddFlash("worse", "errors")
		}),
		flashes("flashes/a key not in FlashKinds", func(s *sessions.Session) { s.AddFlash("bad", "errors") }),
		flashes("flashes/not strings", func(s *sessions.Session) {
			s.AddFlash("ok")
			s.AddFlash(42)
			s.AddFlash(fixtureUser{Name: marker})
		}),
		flashes("flashes/empty list", func(s *sessions.Session) { s.Values["_flash"] = []interface{}(nil) }),
		flashes("flashes/default and notice", func(s *sessions.Session) { s.AddFlash("hello"); s.AddFlash("note", "_notice") }),

		{name: "layouts/encrypted", keys: []string{"hash", "block"}, gorilla: everything},
		{name: "layouts/signed only", keys: []string{"hash", ""}, gorilla: everything},
		{name: "layouts/old block key", keys: []string{"hash", "oldBlock"}, gorilla: everything},

		{name: "gin-contrib", keys: []string{"hash", "block"}, gin: func(s ginsessions.Session) {
			s.Set("user", "alice")
			s.Set("visits", 2)
			s.AddFlash("Welcome")
		}, ginWant: map[interface{}]interface{}{"user": "alice", "visits": 2, "_flash": []interface{}{"Welcome"}}},
	}
}

// keyPairs returns the keys that names name.
func keyPairs(names []string) [][]byte {
	pairs := make([][]byte, len(names))
	for i, n := range names {
		if n != "" {
			pairs[i] = []byte(fixtureKeys[n])
		}
	}
	return pairs
}

// mint saves spec's session with the real library, and returns the cookie.
func (spec fixtureSpec) mint() (*http.Cookie, error) {
	if spec.gorilla != nil {
		return save(sessions.NewCookieStore(keyPairs(spec.keys)...), spec.gorilla)
	}
	var saveErr error
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(ginsessions.Sessions("mysession", cookie.NewStore(keyPairs(spec.keys)...)))
	r.GET("/", func(c *gin.Context) {
		s := ginsessions.Default(c)
		spec.gin(s)
		saveErr = s.Save()
	})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "https://example.com/", nil))
	if saveErr != nil {
		return nil, saveErr
	}
	cs := rec.Result().Cookies()
	if len(cs) != 1 {
		return nil, fmt.Errorf("got %d cookies from gin-contrib, want 1", len(cs))
	}
	return cs[0], nil
}

// want returns what gorilla finds in spec's cookie.
func (spec fixtureSpec) want() map[interface{}]interface{} {
	if spec.gorilla == nil {
		return spec.ginWant
	}
	s := sessions.NewSession(nil, "session")
	spec.gorilla(s)
	return s.Values
}

// TestFixtures checks that testdata/gorilla-cookies.json holds a cookie
// for each spec, which gorilla's own store opens under the spec's keys to
// the spec's values; with -update, it saves them again, in a synctest
// bubble, whose clock reads 2000-01-01, so that they are sealed at a
// fixed time.
func TestFixtures(t *testing.T) {
	registerFixtureTypes()
	if *update {
		synctest.Test(t, writeFixtures)
	}
	b, err := os.ReadFile(fixturesPath)
	if err != nil {
		t.Fatalf("%v: run go test -run TestFixtures -update", err)
	}
	var file fixtureFile
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(file.Keys, fixtureKeys) {
		t.Errorf("got keys %v, want %v", file.Keys, fixtureKeys)
	}
	specs := fixtureSpecs()
	if len(file.Cookies) != len(specs) {
		t.Errorf("got %d fixtures, want %d: run go test -run TestFixtures -update", len(file.Cookies), len(specs))
	}
	for _, spec := range specs {
		t.Run(spec.name, func(t *testing.T) {
			f, ok := file.Cookies[spec.name]
			if !ok || !slices.Equal(f.Keys, spec.keys) {
				t.Fatalf("got %+v, want a fixture with keys %q: run go test -run TestFixtures -update", f, spec.keys)
			}
			store := sessions.NewCookieStore(keyPairs(f.Keys)...)
			store.MaxAge(0) // accept the fixed time the fixtures were saved at
			req := httptest.NewRequest("GET", "https://example.com/", nil)
			req.AddCookie(&http.Cookie{Name: f.Name, Value: f.Value})
			s, err := store.Get(req, f.Name)
			if err != nil || !reflect.DeepEqual(s.Values, spec.want()) {
				t.Errorf("gorilla's store: got %#v, %v; want %#v", s.Values, err, spec.want())
			}
		})
	}
}

func writeFixtures(t *testing.T) {
	file := fixtureFile{
		Comment: "Cookies saved by gorilla/sessions v1.4.0 and gin-contrib/sessions v1.0.4, for the migration tests; " +
			"written by TestFixtures in examples/gorilla with -update. Their keys are test keys: do not use.",
		SavedAt: time.Now().UTC(),
		Keys:    fixtureKeys,
		Cookies: map[string]fixture{},
	}
	for _, spec := range fixtureSpecs() {
		c, err := spec.mint()
		if err != nil {
			t.Fatalf("%s: %v", spec.name, err)
		}
		file.Cookies[spec.name] = fixture{Store: spec.store(), Name: c.Name, Keys: spec.keys, Value: c.Value}
	}
	b, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fixturesPath, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (spec fixtureSpec) store() string {
	if spec.gorilla != nil {
		return "gorilla/sessions CookieStore"
	}
	return "gin-contrib/sessions cookie store"
}
