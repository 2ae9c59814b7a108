package cookiesession_test

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/gorilla/securecookie"
)

// legacyFixtures is testdata/gorilla-cookies.json: cookies that
// gorilla/sessions v1.4.0 and gin-contrib/sessions saved, written by
// TestFixtures in examples/gorilla, with test keys.
type legacyFixtures struct {
	SavedAt time.Time         `json:"saved_at"`
	Keys    map[string]string `json:"keys"`
	Cookies map[string]struct {
		Store string   `json:"store"`
		Name  string   `json:"name"`
		Keys  []string `json:"keys"`
		Value string   `json:"value"`
	} `json:"cookies"`
}

var (
	fixturesOnce sync.Once
	fixtures     legacyFixtures
	fixturesErr  error
)

func loadFixtures(tb testing.TB) *legacyFixtures {
	tb.Helper()
	fixturesOnce.Do(func() {
		b, err := os.ReadFile("testdata/gorilla-cookies.json")
		if err == nil {
			err = json.Unmarshal(b, &fixtures)
		}
		if err == nil && (len(fixtures.Cookies) == 0 || len(fixtures.Keys) == 0) {
			err = errors.New("no cookies or no keys")
		}
		fixturesErr = err
	})
	if fixturesErr != nil {
		tb.Fatalf("testdata/gorilla-cookies.json: %v", fixturesErr)
	}
	return &fixtures
}

// fixtureKeys returns the fixtures' keys of those names; "" is no block
// key.
func fixtureKeys(tb testing.TB, names ...string) [][]byte {
	tb.Helper()
	f := loadFixtures(tb)
	pairs := make([][]byte, len(names))
	for i, n := range names {
		if n != "" {
			pairs[i] = []byte(f.Keys[n])
			if len(pairs[i]) == 0 {
				tb.Fatalf("no fixture key %q", n)
			}
		}
	}
	return pairs
}

// fixtureMigration returns a Manager migrating g, by default under the
// keys of fixture name, and the Cookie header part of that fixture. Its
// MaxAge reaches back to when the fixtures were saved, in 2000.
func fixtureMigration(tb testing.TB, g cookiesession.GorillaCookie, name string) (*migration, string) {
	tb.Helper()
	f := loadFixtures(tb)
	c, ok := f.Cookies[name]
	if !ok {
		tb.Fatalf("no fixture %q: run go test -run TestFixtures -update in examples/gorilla", name)
	}
	if g.KeyPairs == nil {
		g.KeyPairs = fixtureKeys(tb, c.Keys...)
	}
	g.Name = c.Name
	g.MaxAge = time.Since(f.SavedAt) + 24*time.Hour
	return newMigration(tb, g), c.Name + "=" + c.Value
}

// TestMigrationTestsRegisterNoBuiltin guards the premise of the migration
// tests: this binary has not registered with gob the built-in types that
// gorilla/sessions or its applications register.
func TestMigrationTestsRegisterNoBuiltin(t *testing.T) {
	for _, v := range []any{[]interface{}{}, map[string]interface{}{}, map[interface{}]interface{}{}, time.Time{}} {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(map[interface{}]interface{}{"v": v}); err == nil {
			t.Errorf("%T is registered with gob in this test binary", v)
		}
	}
}

func TestMigrateValues(t *testing.T) {
	tests := []struct {
		name string // of the fixture "values/name", whose "v" is the value
		want string // its JSON, as Session.Get finds it
	}{
		{"string", `"alice"`},
		{"empty string", `""`},
		{"int", `42`},
		{"int8", `-128`},
		{"int64", `4611686018427387904`},
		{"uint8", `255`},
		{"uint64", `9223372036854775808`},
		{"float64", `3.25`},
		{"float32", `0.1`},
		{"bool", `true`},
		{"bytes", `"AAH/"`},
		{"nil", `null`},
		{"time", `"2024-05-01T12:30:00Z"`},
		{"string slice", `["a","b"]`},
		{"int slice", `[1,2]`},
		{"float32 slice", `[0.1]`},
		{"empty slice", `null`},
		{"interface slice", `["a",1,true]`},
		{"array", `[1,2,3]`},
		{"byte array", `[1,2,3,4]`},
		{"string map", `{"size":12,"theme":"dark"}`},
		{"typed map", `{"a":1}`},
		{"int-keyed map", `{"1":"a"}`},
		{"interface map of string keys", `{"a":{"b":1}}`},
		{"nested", `{"list":[{"at":"2024-05-01T12:30:00Z"},["x"]]}`},
		{"struct", `{"id":7,"name":"alice","roles":["admin"]}`},
		{"pointer to struct", `{"items":["a-1"]}`},
		{"struct in a slice", `[{"id":8,"name":""}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mg, cookie := fixtureMigration(t, cookiesession.GorillaCookie{}, "values/"+tt.name)
			var got seen
			resp := serve(look(mg.m, &got), cookie)
			if got.values["v"] != tt.want || got.values["user"] != `"alice"` || len(got.values) != 2 {
				t.Errorf("got values %v, want v=%s and user=\"alice\"", got.values, tt.want)
			}
			if me := migrationError(t, mg.log); me != nil {
				t.Errorf("got %v, want every value carried", me)
			}
			if len(setCookies(t, resp)) != 2 {
				t.Errorf("got Set-Cookie %q, want ours and the legacy cookie's deletion", resp.Header.Values("Set-Cookie"))
			}
		})
	}
}

func TestMigrateDrops(t *testing.T) {
	tests := []struct {
		name    string
		fixture string                      // a fixture "drops/name", whose "v" is dropped, or
		values  map[interface{}]interface{} // a cookie minted here, with gob's built-in registrations alone
		want    string                      // the one entry of MigrationError.Dropped
	}{
		{name: "int key", values: map[interface{}]interface{}{1: marker}, want: "(a key of type int): only string keys migrate"},
		{name: "bool key", values: map[interface{}]interface{}{true: marker}, want: "(a key of type bool): only string keys migrate"},
		{name: "nil key", values: map[interface{}]interface{}{nil: marker}, want: "(a nil key): only string keys migrate"},
		{name: "complex", values: map[interface{}]interface{}{"c": complex(1, 2)}, want: `"c": JSON cannot represent complex128`},
		{name: "NaN", values: map[interface{}]interface{}{"f": math.NaN()}, want: `"f": JSON cannot represent it (NaN)`},
		{name: "empty key", values: map[interface{}]interface{}{"": marker}, want: `"": the key is not 1 to 255 bytes of UTF-8`},
		{name: "key of 256 bytes", values: map[interface{}]interface{}{strings.Repeat("k", 256): marker}, want: `"` + strings.Repeat("k", 256) + `": the key is not 1 to 255 bytes of UTF-8`},
		{name: "key not UTF-8", values: map[interface{}]interface{}{"\xff": marker}, want: `"\xff": the key is not 1 to 255 bytes of UTF-8`},
		// "<" is 1 byte in gob and 6 in JSON ("\u003c"): this fits in the
		// legacy cookie and not in ours.
		{name: "too large", values: map[interface{}]interface{}{"html": strings.Repeat("<", 1000)}, want: `"html": does not fit in the cookie`},
		{name: "infinity in a slice", fixture: "drops/infinity in a slice", want: `"v": JSON cannot represent it (+Inf)`},
		{name: "map with an int key", fixture: "drops/map with an int key", want: `"v": JSON cannot represent map[interface {}]interface {}`},
		{name: "unregistered type", fixture: "drops/unregistered type", want: `"v": its type "main.Note" is not registered with gob.Register in this program`},
		{name: "unregistered type in a slice", fixture: "drops/unregistered type in a slice", want: `"v": its type "main.Note" is not registered with gob.Register in this program`},
		{name: "struct with a func field", fixture: "drops/struct with a func field", want: `"v": JSON cannot represent func()`},
		{name: "time past year 9999", fixture: "drops/time past year 9999", want: `"v": JSON cannot represent it`},
		// encoding/gob decodes a registered struct whole, with the types
		// of its interface fields' values looked up in its registry.
		{name: "built-in in a struct field", fixture: "drops/built-in in a struct field", want: `"v": its type "[]interface {}" is not registered with gob.Register in this program`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mg *migration
			var cookie string
			if tt.fixture != "" {
				mg, cookie = fixtureMigration(t, cookiesession.GorillaCookie{}, tt.fixture)
			} else {
				mg = newMigration(t, cookiesession.GorillaCookie{})
				tt.values["user"] = "alice"
				cookie = mg.mint(t, tt.values)
			}
			var got seen
			resp := serve(look(mg.m, &got), cookie)
			if len(got.values) != 1 || got.values["user"] != `"alice"` {
				t.Errorf("got values %v, want only user=\"alice\"", got.values)
			}
			me := migrationError(t, mg.log)
			if me == nil || !slices.Equal(me.Dropped, []string{tt.want}) {
				t.Fatalf("OnInvalid got %v, want a MigrationError dropping %q", me, tt.want)
			}
			if len(setCookies(t, resp)) != 2 {
				t.Errorf("got Set-Cookie %q, want ours and the legacy cookie's deletion", resp.Header.Values("Set-Cookie"))
			}
			// A value dropped for its size is no write the application refused.
			if st := mg.m.Stats(); st.Migrated != 1 || st.Dropped != 1 || st.Invalid[cookiesession.ReasonLegacy] != 0 || st.TooLarge != 0 {
				t.Errorf("got Stats Migrated %d, Dropped %d, Invalid[legacy] %d, TooLarge %d; want 1, 1, 0, 0",
					st.Migrated, st.Dropped, st.Invalid[cookiesession.ReasonLegacy], st.TooLarge)
			}
		})
	}
}

// TestGobCannotSendFuncOrChan shows why no func or chan value reaches a
// Manager from gorilla/sessions: its CookieStore cannot save one.
func TestGobCannotSendFuncOrChan(t *testing.T) {
	codecs := securecookie.CodecsFromPairs(cookiesession.GenerateKey())
	for _, v := range []any{func() {}, make(chan int)} {
		if _, err := securecookie.EncodeMulti(legacyName, map[interface{}]interface{}{"v": v}, codecs...); err == nil {
			t.Errorf("%T: got a cookie, want gob's error", v)
		}
	}
}

func TestMigrateFlashes(t *testing.T) {
	tests := []struct {
		name    string
		kinds   map[string]string
		fixture string                      // a fixture "flashes/fixture", or
		values  map[interface{}]interface{} // a cookie minted here
		flashes map[string][]string
		others  map[string]string // values other than user
		dropped []string
	}{{
		name:    "default key",
		fixture: "default key",
		flashes: map[string][]string{"info": {"saved", "welcome"}},
	}, {
		name:    "named kinds",
		kinds:   map[string]string{"_flash": "info", "errors": "error"},
		fixture: "named kinds",
		flashes: map[string][]string{"info": {"saved"}, "error": {"bad", "worse"}},
	}, {
		name:    "named kinds keep the default",
		kinds:   map[string]string{"errors": "error"},
		fixture: "named kinds",
		flashes: map[string][]string{"info": {"saved"}, "error": {"bad", "worse"}},
	}, {
		name:    "another kind for the default key",
		kinds:   map[string]string{"_flash": "alert", "_notice": "notice"},
		fixture: "default and notice",
		flashes: map[string][]string{"alert": {"hello"}, "notice": {"note"}},
	}, {
		name:    "an extra kind",
		kinds:   map[string]string{"_notice": "notice"},
		fixture: "default and notice",
		flashes: map[string][]string{"info": {"hello"}, "notice": {"note"}},
	}, {
		name:    "a key not in FlashKinds is a value",
		fixture: "a key not in FlashKinds",
		others:  map[string]string{"errors": `["bad"]`},
	}, {
		name:    "flashes that are not strings",
		fixture: "not strings",
		flashes: map[string][]string{"info": {"ok"}},
		dropped: []string{"\"_flash\"[1]: a flash of type int, not a string", "\"_flash\"[2]: a flash of type cookiesession_test.legacyUser, not a string"},
	}, {
		name:    "not a list",
		values:  map[interface{}]interface{}{"_flash": marker},
		dropped: []string{"\"_flash\": flashes of type string, not a list"},
	}, {
		name:    "empty list",
		fixture: "empty list",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mg *migration
			var cookie string
			if tt.fixture != "" {
				mg, cookie = fixtureMigration(t, cookiesession.GorillaCookie{FlashKinds: tt.kinds}, "flashes/"+tt.fixture)
			} else {
				mg = newMigration(t, cookiesession.GorillaCookie{FlashKinds: tt.kinds})
				tt.values["user"] = "alice"
				cookie = mg.mint(t, tt.values)
			}
			var got seen
			serve(look(mg.m, &got, "info", "error", "alert", "notice"), cookie)
			if fmt.Sprint(got.flashes) != fmt.Sprint(tt.flashes) {
				t.Errorf("got flashes %v, want %v", got.flashes, tt.flashes)
			}
			if got.values["user"] != `"alice"` {
				t.Errorf("got values %v, want user=\"alice\"", got.values)
			}
			delete(got.values, "user")
			if fmt.Sprint(got.values) != fmt.Sprint(tt.others) {
				t.Errorf("got values %v besides user, want %v", got.values, tt.others)
			}
			var dropped []string
			if me := migrationError(t, mg.log); me != nil {
				dropped = me.Dropped
			}
			if !slices.Equal(dropped, tt.dropped) {
				t.Errorf("got dropped %q, want %q", dropped, tt.dropped)
			}
		})
	}
}

// TestMigrateJSONCookie reads a cookie that securecookie.Encode made with
// its JSONEncoder, the only way a gorilla application has JSON cookies.
func TestMigrateJSONCookie(t *testing.T) {
	mg := newMigration(t, cookiesession.GorillaCookie{})
	for _, c := range mg.codecs {
		c.(*securecookie.SecureCookie).SetSerializer(securecookie.JSONEncoder{})
	}
	cookie := mg.mint(t, map[string]interface{}{
		"user": "alice", "visits": 3, "prefs": map[string]interface{}{"theme": "dark"},
		"_flash": []interface{}{"welcome"},
	})
	var got seen
	serve(look(mg.m, &got, "info"), cookie)
	want := map[string]string{"user": `"alice"`, "visits": `3`, "prefs": `{"theme":"dark"}`}
	if fmt.Sprint(got.values) != fmt.Sprint(want) {
		t.Errorf("got values %v, want %v", got.values, want)
	}
	if f := got.flashes["info"]; !slices.Equal(f, []string{"welcome"}) {
		t.Errorf("got info flashes %q, want [welcome]", f)
	}
	if me := migrationError(t, mg.log); me != nil {
		t.Errorf("got %v, want every value carried", me)
	}
}

// TestMigrateBlockKeys reads cookies of one hash key under block keys
// that do and do not open them: a pair whose hash key passes but whose
// block key gives no readable payload is no match.
func TestMigrateBlockKeys(t *testing.T) {
	everything := map[string]string{
		"user": `{"id":7,"name":"alice"}`, "visits": `3`, "since": `"2024-05-01T12:30:00Z"`, "prefs": `{"theme":"dark"}`,
	}
	tests := []struct {
		name     string
		fixture  string   // "layouts/fixture", saved with everything in it
		keyPairs []string // the Manager's, by the fixtures' key names
		migrates bool
	}{
		{"a block key for a signed-only cookie", "signed only", []string{"hash", "block"}, false},
		{"no block key for an encrypted cookie", "encrypted", []string{"hash"}, false},
		{"the wrong block key", "old block key", []string{"hash", "block"}, false},
		{"a block-only rotation, the old block key", "old block key", []string{"hash", "block", "hash", "oldBlock"}, true},
		{"a block-only rotation, the new block key", "encrypted", []string{"hash", "block", "hash", "oldBlock"}, true},
		{"from signed only to encrypted", "signed only", []string{"hash", "block", "hash", ""}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mg, cookie := fixtureMigration(t, cookiesession.GorillaCookie{KeyPairs: fixtureKeys(t, tt.keyPairs...)}, "layouts/"+tt.fixture)
			var got seen
			resp := serve(look(mg.m, &got, "info"), cookie)
			if !tt.migrates {
				refused(t, mg, resp, got, false)
				var multi securecookie.MultiError
				var ie *cookiesession.InvalidError
				if calls := mg.log.calls(); len(calls) == 1 && errors.As(calls[0], &ie) && errors.As(ie.Err, &multi) &&
					!slices.Contains(multi, cookiesession.ErrLegacyPayload) {
					t.Errorf("got cause %v, want one that says a block key gave no readable payload", multi)
				}
				return
			}
			if fmt.Sprint(got.values) != fmt.Sprint(everything) || !slices.Equal(got.flashes["info"], []string{"Welcome back"}) {
				t.Errorf("got values %v, flashes %v; want %v and the flash", got.values, got.flashes, everything)
			}
			if calls := mg.log.calls(); len(calls) != 0 {
				t.Errorf("OnInvalid got %v, want no call", calls)
			}
			if len(setCookies(t, resp)) != 2 {
				t.Errorf("got Set-Cookie %q, want ours and the legacy cookie's deletion", resp.Header.Values("Set-Cookie"))
			}
		})
	}
}

// TestMigrateGinContrib migrates a cookie of gin-contrib/sessions' cookie
// store.
func TestMigrateGinContrib(t *testing.T) {
	mg, cookie := fixtureMigration(t, cookiesession.GorillaCookie{}, "gin-contrib")
	var got seen
	resp := serve(look(mg.m, &got, "info"), cookie)
	if fmt.Sprint(got.values) != `map[user:"alice" visits:2]` || !slices.Equal(got.flashes["info"], []string{"Welcome"}) {
		t.Errorf("got values %v, flashes %v; want user alice, 2 visits, the flash Welcome", got.values, got.flashes)
	}
	if calls := mg.log.calls(); len(calls) != 0 {
		t.Errorf("OnInvalid got %v, want no call", calls)
	}
	if cs := setCookies(t, resp); len(cs) != 2 || cs[1].Name != "mysession" || cs[1].MaxAge != -1 {
		t.Errorf("got Set-Cookie %q, want ours and the deletion of mysession", resp.Header.Values("Set-Cookie"))
	}
}
