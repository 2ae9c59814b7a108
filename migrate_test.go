package cookiesession_test

import (
	"bytes"
	"cmp"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/gorilla/securecookie"
)

// Types that applications on gorilla/sessions store, registered with gob as
// they register them.
type (
	legacyUser struct {
		ID    int      `json:"id"`
		Name  string   `json:"name"`
		Roles []string `json:"roles,omitempty"`
	}
	legacyCart struct {
		Items []string `json:"items"`
	}
	// legacyHook has a func field, which gob skips and JSON refuses.
	legacyHook struct {
		Name string
		Done func()
	}
	// legacyHidden reaches the Manager under a name that no process
	// registered: see unknownGob.
	legacyHidden struct{ Note string }
)

const (
	hiddenName  = "cookiesession_test.legacyHidden"
	unknownName = "cookiesession_test.legacyUnknwn" // as long as hiddenName
)

func init() {
	gob.Register([]interface{}(nil)) // as gorilla/sessions does, for flashes
	gob.Register(map[string]interface{}(nil))
	gob.Register(map[interface{}]interface{}(nil))
	gob.Register(time.Time{})
	gob.Register(legacyUser{})
	gob.Register(&legacyCart{})
	gob.Register(legacyHook{})
	gob.RegisterName(hiddenName, legacyHidden{})
}

// unknownGob serializes as securecookie's default GobEncoder, then renames
// legacyHidden to a type this process never registered: what a program gets
// from an older one that registered a type it does not.
type unknownGob struct{ securecookie.GobEncoder }

func (u unknownGob) Serialize(src any) ([]byte, error) {
	b, err := u.GobEncoder.Serialize(src)
	return bytes.ReplaceAll(b, []byte(hiddenName), []byte(unknownName)), err
}

// legacyName is the legacy cookie's name, gorilla's session name.
const legacyName = "session"

// marker is in values that must never appear in an error.
const marker = "value-marker"

// migration is a Manager that migrates the cookies of a legacy store, with
// that store's codecs and a log of OnInvalid.
type migration struct {
	m      *cookiesession.Manager
	log    *hookLog
	codecs []securecookie.Codec
}

// newMigration returns a Manager migrating g, by default the cookie
// "session" of a store with one fresh pair of keys, until an hour from now.
func newMigration(tb testing.TB, g cookiesession.GorillaCookie) *migration {
	tb.Helper()
	g.Name = cmpOr(g.Name, legacyName)
	if g.KeyPairs == nil {
		g.KeyPairs = [][]byte{cookiesession.GenerateKey(), cookiesession.GenerateKey()}
	}
	if g.Until.IsZero() {
		g.Until = time.Now().Add(time.Hour)
	}
	log := &hookLog{}
	m := mustNew(tb, freshRing(tb), cookiesession.Config{Migrate: &g, OnInvalid: log.record})
	return &migration{m: m, log: log, codecs: securecookie.CodecsFromPairs(g.KeyPairs...)}
}

// mint returns the Cookie header part of a legacy cookie holding values,
// as CookieStore.Save writes it.
func (mg *migration) mint(tb testing.TB, values any) string {
	tb.Helper()
	return mintLegacy(tb, values, mg.codecs...)
}

func mintLegacy(tb testing.TB, values any, codecs ...securecookie.Codec) string {
	tb.Helper()
	v, err := securecookie.EncodeMulti(legacyName, values, codecs...)
	if err != nil {
		tb.Fatalf("sealing a legacy cookie: %v", err)
	}
	return legacyName + "=" + v
}

// seen is what a handler found in its session.
type seen struct {
	isNew   bool
	keyID   string
	issued  time.Time
	values  map[string]string   // each value's JSON, by key
	flashes map[string][]string // by kind, of the kinds looked for
}

// look returns a handler that records in got what its session holds.
func look(m *cookiesession.Manager, got *seen, kinds ...string) http.Handler {
	return wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		*got = seen{isNew: s.IsNew(), keyID: s.KeyID(), issued: s.IssuedAt(),
			values: map[string]string{}, flashes: map[string][]string{}}
		for _, k := range s.Keys() {
			var raw json.RawMessage
			if _, err := s.Get(k, &raw); err != nil {
				panic(err)
			}
			got.values[k] = string(raw)
		}
		for _, kind := range kinds {
			if f := s.Flashes(kind); f != nil {
				got.flashes[kind] = f
			}
		}
	})
}

// migrationError returns the *MigrationError that OnInvalid got, failing
// unless it was called once with one, or not at all when wantNone.
func migrationError(tb testing.TB, log *hookLog) *cookiesession.MigrationError {
	tb.Helper()
	calls := log.calls()
	if len(calls) == 0 {
		return nil
	}
	var me *cookiesession.MigrationError
	if len(calls) != 1 || !errors.As(calls[0], &me) {
		tb.Fatalf("OnInvalid got %v, want one *MigrationError", calls)
	}
	if errors.Is(calls[0], cookiesession.ErrInvalid) {
		tb.Errorf("%v matches ErrInvalid, want a MigrationError that does not", calls[0])
	}
	if strings.Contains(calls[0].Error(), marker) {
		tb.Errorf("OnInvalid got %q, which holds a value", calls[0])
	}
	return me
}

func TestMigrateValues(t *testing.T) {
	when := time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)
	tests := []struct {
		name  string
		value any
		want  string // its JSON, as Session.Get finds it
	}{
		{"string", "alice", `"alice"`},
		{"empty string", "", `""`},
		{"int", 42, `42`},
		{"int8", int8(-128), `-128`},
		{"int64", int64(1) << 62, `4611686018427387904`},
		{"uint8", uint8(255), `255`},
		{"uint64", uint64(1) << 63, `9223372036854775808`},
		{"float64", 3.25, `3.25`},
		{"float32", float32(0.5), `0.5`},
		{"bool", true, `true`},
		{"bytes", []byte{0, 1, 0xff}, `"AAH/"`},
		{"nil", nil, `null`},
		{"time", when, `"2024-05-01T12:30:00Z"`},
		{"string slice", []string{"a", "b"}, `["a","b"]`},
		{"int slice", []int{1, 2}, `[1,2]`},
		{"interface slice", []interface{}{"a", 1, true}, `["a",1,true]`},
		{"string map", map[string]interface{}{"theme": "dark", "size": 12}, `{"size":12,"theme":"dark"}`},
		{"interface map of string keys", map[interface{}]interface{}{"a": map[interface{}]interface{}{"b": 1}}, `{"a":{"b":1}}`},
		{"struct", legacyUser{ID: 7, Name: "alice", Roles: []string{"admin"}}, `{"id":7,"name":"alice","roles":["admin"]}`},
		{"pointer to struct", &legacyCart{Items: []string{"a-1"}}, `{"items":["a-1"]}`},
		{"struct in a slice", []interface{}{legacyUser{ID: 8}}, `[{"id":8,"name":""}]`},
	}
	all := map[interface{}]interface{}{}
	want := map[string]string{}
	for _, tt := range tests {
		all[tt.name], want[tt.name] = tt.value, tt.want
		t.Run(tt.name, func(t *testing.T) {
			mg := newMigration(t, cookiesession.GorillaCookie{})
			var got seen
			serve(look(mg.m, &got), mg.mint(t, map[interface{}]interface{}{"v": tt.value, "user": "alice"}))
			if got.values["v"] != tt.want || got.values["user"] != `"alice"` {
				t.Errorf("got values %v, want v=%s and user=\"alice\"", got.values, tt.want)
			}
			if me := migrationError(t, mg.log); me != nil {
				t.Errorf("got %v, want every value carried", me)
			}
		})
	}
	t.Run("all at once", func(t *testing.T) {
		mg := newMigration(t, cookiesession.GorillaCookie{})
		var got seen
		serve(look(mg.m, &got), mg.mint(t, all))
		if fmt.Sprint(got.values) != fmt.Sprint(want) {
			t.Errorf("got values %v, want %v", got.values, want)
		}
	})
}

func TestMigrateDrops(t *testing.T) {
	tests := []struct {
		name   string
		values map[interface{}]interface{}
		want   string // the one entry of MigrationError.Dropped
	}{
		{"int key", map[interface{}]interface{}{1: marker}, "(a key of type int): only string keys migrate"},
		{"bool key", map[interface{}]interface{}{true: marker}, "(a key of type bool): only string keys migrate"},
		{"complex", map[interface{}]interface{}{"c": complex(1, 2)}, "\"c\": JSON cannot represent complex128"},
		{"NaN", map[interface{}]interface{}{"f": math.NaN()}, "\"f\": JSON cannot represent it (NaN)"},
		{"infinity in a slice", map[interface{}]interface{}{"f": []interface{}{1.0, math.Inf(1)}}, "\"f\": JSON cannot represent it (+Inf)"},
		{"struct with a func field", map[interface{}]interface{}{"hook": legacyHook{Name: marker}}, "\"hook\": JSON cannot represent func()"},
		{"time past year 9999", map[interface{}]interface{}{"t": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "\"t\": JSON cannot represent it"},
		{"map with an int key", map[interface{}]interface{}{"m": map[interface{}]interface{}{1: marker}}, "\"m\": JSON cannot represent map[interface {}]interface {}"},
		{"unregistered type", map[interface{}]interface{}{"note": legacyHidden{marker}}, `"note": its type "cookiesession_test.legacyUnknwn" is not registered with gob.Register in this program`},
		{"unregistered type in a slice", map[interface{}]interface{}{"notes": []interface{}{"a", legacyHidden{marker}}}, `"notes": its type "cookiesession_test.legacyUnknwn" is not registered with gob.Register in this program`},
		{"empty key", map[interface{}]interface{}{"": marker}, `"": the key is not 1 to 255 bytes of UTF-8`},
		{"key of 256 bytes", map[interface{}]interface{}{strings.Repeat("k", 256): marker}, `"` + strings.Repeat("k", 256) + `": the key is not 1 to 255 bytes of UTF-8`},
		{"key not UTF-8", map[interface{}]interface{}{"\xff": marker}, `"\xff": the key is not 1 to 255 bytes of UTF-8`},
		// "<" is 1 byte in gob and 6 in JSON ("\u003c"): this fits in the
		// legacy cookie and not in ours.
		{"too large", map[interface{}]interface{}{"html": strings.Repeat("<", 1000)}, "\"html\": does not fit in the cookie"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mg := newMigration(t, cookiesession.GorillaCookie{})
			for _, c := range mg.codecs {
				c.(*securecookie.SecureCookie).SetSerializer(unknownGob{})
			}
			tt.values["user"] = "alice"
			var got seen
			resp := serve(look(mg.m, &got), mg.mint(t, tt.values))
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
		values  map[interface{}]interface{}
		flashes map[string][]string
		others  map[string]string // values other than user
		dropped []string
	}{{
		name:    "default key",
		values:  map[interface{}]interface{}{"_flash": []interface{}{"saved", "welcome"}},
		flashes: map[string][]string{"info": {"saved", "welcome"}},
	}, {
		name:    "named kinds",
		kinds:   map[string]string{"_flash": "info", "errors": "error"},
		values:  map[interface{}]interface{}{"_flash": []interface{}{"saved"}, "errors": []interface{}{"bad", "worse"}},
		flashes: map[string][]string{"info": {"saved"}, "error": {"bad", "worse"}},
	}, {
		name:   "a key not in FlashKinds is a value",
		values: map[interface{}]interface{}{"errors": []interface{}{"bad"}},
		others: map[string]string{"errors": `["bad"]`},
	}, {
		name:    "flashes that are not strings",
		values:  map[interface{}]interface{}{"_flash": []interface{}{"ok", 42, legacyUser{Name: marker}}},
		flashes: map[string][]string{"info": {"ok"}},
		dropped: []string{"\"_flash\"[1]: a flash of type int, not a string", "\"_flash\"[2]: a flash of type cookiesession_test.legacyUser, not a string"},
	}, {
		name:    "not a list",
		values:  map[interface{}]interface{}{"_flash": marker},
		dropped: []string{"\"_flash\": flashes of type string, not a list"},
	}, {
		name:   "empty list",
		values: map[interface{}]interface{}{"_flash": []interface{}{}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mg := newMigration(t, cookiesession.GorillaCookie{FlashKinds: tt.kinds})
			tt.values["user"] = "alice"
			var got seen
			serve(look(mg.m, &got, "info", "error"), mg.mint(t, tt.values))
			if fmt.Sprint(got.flashes) != fmt.Sprint(tt.flashes) {
				t.Errorf("got flashes %v, want %v", got.flashes, tt.flashes)
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

func TestMigrateKeyPairs(t *testing.T) {
	hashA, blockA := cookiesession.GenerateKey(), cookiesession.GenerateKey()
	hashB, blockB := cookiesession.GenerateKey(), cookiesession.GenerateKey()
	tests := []struct {
		name       string
		keyPairs   [][]byte // the Manager's
		sealedWith [][]byte // the old application's, when it wrote the cookie
	}{
		{"encrypted", [][]byte{hashA, blockA}, [][]byte{hashA, blockA}},
		{"AES-128", [][]byte{hashA, blockA[:16]}, [][]byte{hashA, blockA[:16]}},
		{"signed only", [][]byte{hashA, nil}, [][]byte{hashA, nil}},
		{"hash key alone", [][]byte{hashA}, [][]byte{hashA}},
		{"rotated, sealed by the new pair", [][]byte{hashA, blockA, hashB, blockB}, [][]byte{hashA, blockA}},
		{"rotated, sealed by the old pair", [][]byte{hashA, blockA, hashB, blockB}, [][]byte{hashB, blockB}},
		{"from signed only to encrypted", [][]byte{hashA, blockA, hashB, nil}, [][]byte{hashB, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mg := newMigration(t, cookiesession.GorillaCookie{KeyPairs: tt.keyPairs})
			var got seen
			serve(look(mg.m, &got), mintLegacy(t, map[interface{}]interface{}{"user": "alice"}, securecookie.CodecsFromPairs(tt.sealedWith...)...))
			if got.values["user"] != `"alice"` || got.isNew {
				t.Errorf("got values %v, IsNew %v; want user=\"alice\", false", got.values, got.isNew)
			}
			if calls := mg.log.calls(); len(calls) != 0 {
				t.Errorf("OnInvalid got %v, want no call", calls)
			}
		})
	}
}

// refused checks that the request went on with a new session, that
// OnInvalid got one ReasonLegacy error, and that nothing was written.
func refused(t *testing.T, mg *migration, resp *http.Response, got seen) {
	t.Helper()
	calls := mg.log.calls()
	var ie *cookiesession.InvalidError
	if len(calls) != 1 || !errors.Is(calls[0], cookiesession.ErrInvalid) || !errors.As(calls[0], &ie) {
		t.Fatalf("OnInvalid got %v, want one error matching ErrInvalid", calls)
	}
	var cause securecookie.MultiError
	if ie.Reason != cookiesession.ReasonLegacy || !errors.As(ie.Err, &cause) {
		t.Errorf("got reason %q, cause %v; want %q and securecookie's error", ie.Reason, ie.Err, cookiesession.ReasonLegacy)
	}
	if errors.Is(calls[0], cookiesession.ErrExpired) {
		t.Errorf("%v matches ErrExpired, which is for cookies of ours", calls[0])
	}
	if !got.isNew || len(got.values) != 0 {
		t.Errorf("got IsNew %v, values %v; want a new, empty session", got.isNew, got.values)
	}
	noCookie(t, resp)
	if st := mg.m.Stats(); st.Migrated != 0 || st.Invalid[cookiesession.ReasonLegacy] != 1 {
		t.Errorf("got Stats Migrated %d, Invalid[legacy] %d; want 0, 1", st.Migrated, st.Invalid[cookiesession.ReasonLegacy])
	}
}

func TestMigrateRefused(t *testing.T) {
	values := map[interface{}]interface{}{"user": "alice"}
	otherKeys := securecookie.CodecsFromPairs(cookiesession.GenerateKey(), cookiesession.GenerateKey())
	tests := []struct {
		name   string
		cookie func(mg *migration) string
	}{
		{"tampered", func(mg *migration) string {
			c := mg.mint(t, values)
			i := len(c) / 2
			return c[:i] + string(c[i]^1) + c[i+1:]
		}},
		{"truncated", func(mg *migration) string { c := mg.mint(t, values); return c[:len(c)-10] }},
		{"other keys", func(*migration) string { return mintLegacy(t, values, otherKeys...) }},
		{"sealed for another name", func(mg *migration) string {
			v, err := securecookie.EncodeMulti("other", values, mg.codecs...)
			if err != nil {
				t.Fatal(err)
			}
			return legacyName + "=" + v
		}},
		{"not base64", func(*migration) string { return legacyName + "=%%%" }},
		{"too long", func(*migration) string { return legacyName + "=" + strings.Repeat("A", 4097) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mg := newMigration(t, cookiesession.GorillaCookie{})
			var got seen
			resp := serve(look(mg.m, &got), tt.cookie(mg))
			refused(t, mg, resp, got)
		})
	}
}

// TestMigrateExpired checks that a legacy cookie is read up to MaxAge
// after the old application last saved it, and not a second later.
func TestMigrateExpired(t *testing.T) {
	for _, maxAge := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprint("MaxAge ", maxAge), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := cookiesession.GorillaCookie{
					KeyPairs: [][]byte{cookiesession.GenerateKey(), cookiesession.GenerateKey()},
					MaxAge:   maxAge,
					Until:    time.Now().Add(100 * 24 * time.Hour),
				}
				early, late := newMigration(t, g), newMigration(t, g)
				cookie := early.mint(t, map[interface{}]interface{}{"user": "alice"})
				time.Sleep(cmp.Or(maxAge, 30*24*time.Hour))
				var got seen
				serve(look(early.m, &got), cookie)
				if got.values["user"] != `"alice"` {
					t.Fatalf("at MaxAge: got values %v, want the legacy cookie's", got.values)
				}
				time.Sleep(time.Second)
				resp := serve(look(late.m, &got), cookie)
				refused(t, late, resp, got)
			})
		})
	}
}

func TestMigrateUntil(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mg := newMigration(t, cookiesession.GorillaCookie{Until: time.Now().Add(time.Hour)})
		cookie := mg.mint(t, map[interface{}]interface{}{"user": "alice"})
		time.Sleep(time.Hour - time.Second)
		var got seen
		serve(look(mg.m, &got), cookie)
		if got.values["user"] != `"alice"` {
			t.Fatalf("a second before Until: got values %v, want the legacy cookie's", got.values)
		}
		time.Sleep(time.Second)
		for _, c := range []string{cookie, legacyName + "=garbage"} {
			resp := serve(look(mg.m, &got), c)
			noCookie(t, resp)
			if !got.isNew || len(got.values) != 0 {
				t.Errorf("at Until: got IsNew %v, values %v; want a new, empty session", got.isNew, got.values)
			}
		}
		if calls := mg.log.calls(); len(calls) != 0 {
			t.Errorf("at Until: OnInvalid got %v, want no call: legacy cookies are not read", calls)
		}
		if st := mg.m.Stats(); st.Migrated != 1 || st.Invalid[cookiesession.ReasonLegacy] != 0 {
			t.Errorf("got Stats Migrated %d, Invalid[legacy] %d; want 1, 0", st.Migrated, st.Invalid[cookiesession.ReasonLegacy])
		}
	})
}

// TestMigrateResponse checks the response that migrates: our cookie, the
// legacy cookie's deletion with its Path and Domain, no caching; and that
// the next request, with our cookie alone, has the session.
func TestMigrateResponse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ring, hashKey := freshRing(t), cookiesession.GenerateKey()
		m := mustNew(t, ring, cookiesession.Config{Migrate: &cookiesession.GorillaCookie{
			Name: legacyName, KeyPairs: [][]byte{hashKey},
			Path: "/app", Domain: ".example.com", Until: time.Now().Add(time.Hour),
		}})
		time.Sleep(time.Minute)
		var got seen
		resp := serve(look(m, &got), mintLegacy(t, map[interface{}]interface{}{"user": "alice"}, securecookie.CodecsFromPairs(hashKey)...))
		if got.isNew || got.keyID != "" || !got.issued.Equal(time.Now()) {
			t.Errorf("got IsNew %v, KeyID %q, IssuedAt %v; want false, \"\", now (%v)", got.isNew, got.keyID, got.issued, time.Now())
		}
		lines := resp.Header.Values("Set-Cookie")
		const deletion = "session=; Path=/app; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Lax"
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "__Host-session=") || lines[1] != deletion {
			t.Fatalf("got Set-Cookie %q, want ours, then %q", lines, deletion)
		}
		ours := setCookies(t, resp)[0]
		if ours.Path != "/" || ours.MaxAge != 24*60*60 || !ours.HttpOnly || !ours.Secure || ours.SameSite != http.SameSiteLaxMode {
			t.Errorf("got our cookie %q, want the default attributes", lines[0])
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("got Cache-Control %q, want no-store", cc)
		}
		if st := m.Stats(); st.Migrated != 1 || st.Issued != 0 || st.Dropped != 0 {
			t.Errorf("got Stats Migrated %d, Issued %d, Dropped %d; want 1, 0, 0", st.Migrated, st.Issued, st.Dropped)
		}

		resp = serve(look(m, &got), "__Host-session="+ours.Value)
		noCookie(t, resp)
		if got.isNew || got.keyID != ring.PrimaryID() || got.values["user"] != `"alice"` {
			t.Errorf("next request: got IsNew %v, KeyID %q, values %v; want false, %q, user=\"alice\"",
				got.isNew, got.keyID, got.values, ring.PrimaryID())
		}
	})
}

// TestMigrateEmpty checks that a legacy session without values makes an
// empty session, not a new one, and that the legacy cookie is deleted.
func TestMigrateEmpty(t *testing.T) {
	mg := newMigration(t, cookiesession.GorillaCookie{})
	var got seen
	resp := serve(look(mg.m, &got), mg.mint(t, map[interface{}]interface{}{}))
	if got.isNew || len(got.values) != 0 {
		t.Errorf("got IsNew %v, values %v; want an empty session that is not new", got.isNew, got.values)
	}
	c := oneCookie(t, resp)
	if c.Name != legacyName || c.MaxAge != -1 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("got Set-Cookie %q, Cache-Control %q; want only the legacy cookie's deletion, no-store",
			resp.Header.Values("Set-Cookie"), resp.Header.Get("Cache-Control"))
	}
}

// TestMigrateOursWins checks that a valid cookie of ours is the session,
// and that a legacy cookie beside it is neither read nor deleted.
func TestMigrateOursWins(t *testing.T) {
	mg := newMigration(t, cookiesession.GorillaCookie{})
	ours := mintWith(t, mg.m, func(s *cookiesession.Session) error { return s.Set("user", "bob") })
	for _, legacy := range []string{mg.mint(t, map[interface{}]interface{}{"user": "alice", "extra": 1}), legacyName + "=garbage"} {
		var got seen
		resp := serve(look(mg.m, &got), "__Host-session="+ours+"; "+legacy)
		if fmt.Sprint(got.values) != `map[user:"bob"]` {
			t.Errorf("got values %v, want ours: user=\"bob\"", got.values)
		}
		noCookie(t, resp)
	}
	if calls := mg.log.calls(); len(calls) != 0 {
		t.Errorf("OnInvalid got %v, want no call", calls)
	}
	if st := mg.m.Stats(); st.Migrated != 0 || st.Invalid[cookiesession.ReasonLegacy] != 0 {
		t.Errorf("got Stats Migrated %d, Invalid[legacy] %d; want 0, 0", st.Migrated, st.Invalid[cookiesession.ReasonLegacy])
	}
}

// TestMigrateOursInvalid checks that when our cookie does not open, the
// legacy cookie still migrates, and OnInvalid gets both stories at once.
func TestMigrateOursInvalid(t *testing.T) {
	mg := newMigration(t, cookiesession.GorillaCookie{})
	legacy := mg.mint(t, map[interface{}]interface{}{"user": "alice", "c": complex(1, 2)})
	var got seen
	serve(look(mg.m, &got), "__Host-session="+strings.Repeat("A", 100)+"; "+legacy)
	if got.values["user"] != `"alice"` {
		t.Errorf("got values %v, want the legacy cookie's", got.values)
	}
	calls := mg.log.calls()
	var me *cookiesession.MigrationError
	var ie *cookiesession.InvalidError
	if len(calls) != 1 || !errors.As(calls[0], &me) || !errors.As(calls[0], &ie) || !errors.Is(calls[0], cookiesession.ErrInvalid) {
		t.Fatalf("OnInvalid got %v, want one error holding an InvalidError and a MigrationError", calls)
	}
	if ie.Reason == cookiesession.ReasonLegacy || !slices.Equal(me.Dropped, []string{"\"c\": JSON cannot represent complex128"}) {
		t.Errorf("got reason %q, dropped %q; want our cookie's reason and c", ie.Reason, me.Dropped)
	}
}

// TestMigrateSeveralLegacyCookies checks that of legacy cookies of one
// name (other paths or domains), the first that opens migrates.
func TestMigrateSeveralLegacyCookies(t *testing.T) {
	mg := newMigration(t, cookiesession.GorillaCookie{})
	alice := mg.mint(t, map[interface{}]interface{}{"user": "alice"})
	bob := mg.mint(t, map[interface{}]interface{}{"user": "bob"})
	var got seen
	serve(look(mg.m, &got), legacyName+"=garbage; "+alice+"; "+bob)
	if got.values["user"] != `"alice"` {
		t.Errorf("got values %v, want alice's", got.values)
	}
	if calls := mg.log.calls(); len(calls) != 0 {
		t.Errorf("OnInvalid got %v, want no call once a legacy cookie migrated", calls)
	}
}

// TestMigrateOnlyWhenUsed checks that a request that never uses its
// session neither reads nor deletes the legacy cookie.
func TestMigrateOnlyWhenUsed(t *testing.T) {
	mg := newMigration(t, cookiesession.GorillaCookie{})
	h := mg.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hi")) }))
	for _, c := range []string{mg.mint(t, map[interface{}]interface{}{"user": "alice"}), legacyName + "=garbage"} {
		noCookie(t, serve(h, c))
	}
	if calls, st := mg.log.calls(), mg.m.Stats(); len(calls) != 0 || st.Migrated != 0 {
		t.Errorf("got OnInvalid calls %v, Stats Migrated %d; want none, 0", calls, st.Migrated)
	}
}

// TestMigrateDestroy checks that a handler that ends the migrated session
// deletes the legacy cookie, and a cookie of ours only if the request
// carried one.
func TestMigrateDestroy(t *testing.T) {
	mg := newMigration(t, cookiesession.GorillaCookie{})
	legacy := mg.mint(t, map[interface{}]interface{}{"user": "alice"})
	tests := []struct {
		name    string
		cookies string
		deleted []string
	}{
		{"legacy cookie alone", legacy, []string{legacyName}},
		{"beside an invalid cookie of ours", "__Host-session=" + strings.Repeat("A", 100) + "; " + legacy, []string{"__Host-session", legacyName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := serve(wrap(mg.m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Destroy() }), tt.cookies)
			var names []string
			for _, c := range setCookies(t, resp) {
				if c.MaxAge != -1 || c.Value != "" {
					t.Errorf("got Set-Cookie %q, want a deletion", c)
				}
				names = append(names, c.Name)
			}
			if !slices.Equal(names, tt.deleted) {
				t.Errorf("got Set-Cookie for %q, want deletions of %q", names, tt.deleted)
			}
		})
	}
}

// TestMigrateNotForTokens checks that a request that carries its session
// in a token header does not migrate the cookie it also sends.
func TestMigrateNotForTokens(t *testing.T) {
	hashKey := cookiesession.GenerateKey()
	m := mustNew(t, freshRing(t), cookiesession.Config{TokenHeader: "Session-Token", Migrate: &cookiesession.GorillaCookie{
		Name: legacyName, KeyPairs: [][]byte{hashKey}, Until: time.Now().Add(time.Hour),
	}})
	req := httptest.NewRequest("GET", "https://example.com/", nil)
	req.Header.Set("Session-Token", "")
	req.Header.Set("Cookie", mintLegacy(t, map[interface{}]interface{}{"user": "alice"}, securecookie.CodecsFromPairs(hashKey)...))
	s := m.Load(req)
	if !s.IsNew() || s.Has("user") || m.Stats().Migrated != 0 {
		t.Errorf("got IsNew %v, user %v, Migrated %d; want a new session", s.IsNew(), s.Has("user"), m.Stats().Migrated)
	}
}

// TestMigrateRevalidate checks that Config.Revalidate checks a migrated
// session on its first request, and that the legacy cookie is deleted
// whether the session passes or is ended.
func TestMigrateRevalidate(t *testing.T) {
	tests := []struct {
		name    string
		verdict error
		values  string
		cookies []string // the names the response sets or deletes
	}{
		{"pass", nil, `map[user:"alice"]`, []string{"__Host-session", legacyName}},
		{"fail", errors.New("password changed"), `map[]`, []string{legacyName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hashKey, log := cookiesession.GenerateKey(), &hookLog{}
			var checked []string
			m := mustNew(t, freshRing(t), cookiesession.Config{
				Migrate:   &cookiesession.GorillaCookie{Name: legacyName, KeyPairs: [][]byte{hashKey}, Until: time.Now().Add(time.Hour)},
				OnInvalid: log.record,
				Revalidate: func(r *http.Request, s *cookiesession.Session) error {
					var user string
					s.Get("user", &user)
					checked = append(checked, user)
					return tt.verdict
				},
			})
			var got seen
			resp := serve(look(m, &got), mintLegacy(t, map[interface{}]interface{}{"user": "alice"}, securecookie.CodecsFromPairs(hashKey)...))
			if !slices.Equal(checked, []string{"alice"}) || fmt.Sprint(got.values) != tt.values {
				t.Errorf("Revalidate saw users %q; the handler, values %v; want [alice], %s", checked, got.values, tt.values)
			}
			var names []string
			for _, c := range setCookies(t, resp) {
				names = append(names, c.Name)
			}
			if !slices.Equal(names, tt.cookies) {
				t.Errorf("got Set-Cookie %q, want cookies %q", resp.Header.Values("Set-Cookie"), tt.cookies)
			}
			var ie *cookiesession.InvalidError
			if calls := log.calls(); (tt.verdict == nil) != (len(calls) == 0) ||
				tt.verdict != nil && (!errors.As(calls[0], &ie) || ie.Reason != cookiesession.ReasonRevalidation) {
				t.Errorf("OnInvalid got %v, want ReasonRevalidation only on failure", calls)
			}
		})
	}
}

// TestMigrateLoadSave migrates through Manager.Load and Manager.Save.
func TestMigrateLoadSave(t *testing.T) {
	mg := newMigration(t, cookiesession.GorillaCookie{})
	req := httptest.NewRequest("GET", "https://example.com/", nil)
	req.Header.Set("Cookie", mg.mint(t, map[interface{}]interface{}{"user": "alice"}))
	s := mg.m.Load(req)
	var user string
	if ok, err := s.Get("user", &user); !ok || err != nil || user != "alice" {
		t.Errorf("got user %q, %v, %v; want alice", user, ok, err)
	}
	rec := httptest.NewRecorder()
	if err := mg.m.Save(rec, s); err != nil {
		t.Fatal(err)
	}
	if cs := setCookies(t, rec.Result()); len(cs) != 2 || cs[0].Name != "__Host-session" || cs[1].Name != legacyName || cs[1].MaxAge != -1 {
		t.Errorf("got Set-Cookie %q, want ours and the legacy cookie's deletion", rec.Result().Header.Values("Set-Cookie"))
	}
}

func TestMigrateConfigErrors(t *testing.T) {
	hashKey, blockKey := cookiesession.GenerateKey(), cookiesession.GenerateKey()
	until := time.Now().Add(time.Hour)
	tests := []struct {
		name string
		cfg  cookiesession.Config
		g    cookiesession.GorillaCookie
	}{
		{"no name", cookiesession.Config{}, cookiesession.GorillaCookie{KeyPairs: [][]byte{hashKey}, Until: until}},
		{"the default name of ours", cookiesession.Config{}, cookiesession.GorillaCookie{Name: "__Host-session", KeyPairs: [][]byte{hashKey}, Until: until}},
		{"the name of ours", cookiesession.Config{Name: "sid"}, cookiesession.GorillaCookie{Name: "sid", KeyPairs: [][]byte{hashKey}, Until: until}},
		{"invalid name", cookiesession.Config{}, cookiesession.GorillaCookie{Name: "a b", KeyPairs: [][]byte{hashKey}, Until: until}},
		{"invalid path", cookiesession.Config{}, cookiesession.GorillaCookie{Name: legacyName, Path: "/a;b", KeyPairs: [][]byte{hashKey}, Until: until}},
		{"no key pairs", cookiesession.Config{}, cookiesession.GorillaCookie{Name: legacyName, Until: until}},
		{"no hash key", cookiesession.Config{}, cookiesession.GorillaCookie{Name: legacyName, KeyPairs: [][]byte{nil, blockKey}, Until: until}},
		{"no Until", cookiesession.Config{}, cookiesession.GorillaCookie{Name: legacyName, KeyPairs: [][]byte{hashKey}}},
		{"block key of 7 bytes", cookiesession.Config{}, cookiesession.GorillaCookie{Name: legacyName, KeyPairs: [][]byte{hashKey, blockKey[:7]}, Until: until}},
		{"bad block key in the old pair", cookiesession.Config{}, cookiesession.GorillaCookie{Name: legacyName, KeyPairs: [][]byte{hashKey, blockKey, hashKey, blockKey[:20]}, Until: until}},
		{"MaxAge under a second", cookiesession.Config{}, cookiesession.GorillaCookie{Name: legacyName, KeyPairs: [][]byte{hashKey}, Until: until, MaxAge: time.Millisecond}},
		{"empty flash kind", cookiesession.Config{}, cookiesession.GorillaCookie{Name: legacyName, KeyPairs: [][]byte{hashKey}, Until: until, FlashKinds: map[string]string{"_flash": ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Migrate = &tt.g
			m, err := cookiesession.New(freshRing(t), tt.cfg)
			if err == nil || m != nil {
				t.Fatalf("got %v, %v; want an error", m, err)
			}
			cookiesession.CheckNoSecret(t, "New's error", err.Error(), hashKey, blockKey)
		})
	}
}

func TestGorillaCookieNeverPrintsKeys(t *testing.T) {
	keys := [][]byte{cookiesession.GenerateKey(), cookiesession.GenerateKey(), cookiesession.GenerateKey(), nil}
	g := cookiesession.GorillaCookie{Name: legacyName, KeyPairs: keys, Until: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	cfg := cookiesession.Config{Migrate: &g}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for _, v := range []any{g, &g, cfg, &cfg} {
			out := fmt.Sprintf(verb, v)
			cookiesession.CheckNoSecret(t, fmt.Sprintf("%s of %T", verb, v), out, keys...)
			if !strings.Contains(out, `Name: "session", KeyPairs: 4 keys`) {
				t.Errorf("%s of %T: got %q, want GorillaCookie's String", verb, v, out)
			}
		}
	}
	for _, v := range []any{g, &g} {
		out, err := json.Marshal(v)
		cookiesession.CheckNoSecret(t, fmt.Sprintf("JSON of %T", v), string(out), keys...)
		if err != nil || !strings.Contains(string(out), `KeyPairs: 4 keys`) {
			t.Errorf("JSON of %T: got %s, %v; want GorillaCookie's String", v, out, err)
		}
	}
	// A Config does not marshal to JSON (its hooks are funcs), so only the
	// text handler shows the GorillaCookie it holds.
	handlers := []struct {
		make func(io.Writer) slog.Handler
		want int // how many times the record holds GorillaCookie's String
	}{
		{func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) }, 2},
		{func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }, 3},
	}
	for _, h := range handlers {
		var buf bytes.Buffer
		slog.New(h.make(&buf)).Info("config", "value", g, "pointer", &g, "config", cfg)
		cookiesession.CheckNoSecret(t, "a slog record", buf.String(), keys...)
		if n := strings.Count(buf.String(), `KeyPairs: 4 keys`); n != h.want {
			t.Errorf("got slog record %s, with GorillaCookie's String %d times, want %d", buf.String(), n, h.want)
		}
	}
	want := `GorillaCookie{Name: "session", KeyPairs: 4 keys, Path: "", Domain: "", MaxAge: 0s, Until: 2030-01-02T03:04:05Z}`
	if got, gotGo := g.String(), g.GoString(); got != want || gotGo != want {
		t.Errorf("got String %s, GoString %s; want %s", got, gotGo, want)
	}
}

// migrateBench is one request of BenchmarkMigrate, through a Manager that
// migrates or not.
type migrateBench struct {
	req, config string
	h           http.Handler
	r           *http.Request
}

// migrateBenches serves requests that read their session: a first visit
// with no session cookie of either kind (none), one with a cookie of ours
// (ours), and one with a legacy cookie (legacy), through a Manager that
// does not migrate (off), one that does (on), and one whose Until has
// passed (ended).
func migrateBenches(tb testing.TB) []migrateBench {
	ring, pairs := freshRing(tb), [][]byte{cookiesession.GenerateKey(), cookiesession.GenerateKey()}
	configs := []struct {
		name    string
		migrate *cookiesession.GorillaCookie
	}{
		{"off", nil},
		{"on", &cookiesession.GorillaCookie{Name: legacyName, KeyPairs: pairs, Until: time.Now().Add(time.Hour)}},
		{"ended", &cookiesession.GorillaCookie{Name: legacyName, KeyPairs: pairs, Until: time.Now().Add(-time.Hour)}},
	}
	ours := mintWith(tb, mustNew(tb, ring, cookiesession.Config{}), mediumSession)
	legacyValues := map[interface{}]interface{}{}
	for k, v := range mediumValues() {
		if s, ok := v.(string); ok {
			legacyValues[k] = s
		}
	}
	cookies := []struct{ name, line string }{
		{"none", "theme=dark; _ga=GA1.2.345678.901234"},
		{"ours", "theme=dark; __Host-session=" + ours},
		{"legacy", "theme=dark; " + mintLegacy(tb, legacyValues, securecookie.CodecsFromPairs(pairs...)...)},
	}
	var benches []migrateBench
	for _, c := range cookies {
		for _, cfg := range configs {
			m := mustNew(tb, ring, cookiesession.Config{Migrate: cfg.migrate})
			r := httptest.NewRequest("GET", "https://example.com/", nil)
			r.Header.Set("Cookie", c.line)
			benches = append(benches, migrateBench{c.name, cfg.name, wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
				var locale string
				if _, err := s.Get("locale", &locale); err != nil {
					panic(err)
				}
				w.Write([]byte(locale))
			}), r})
		}
	}
	return benches
}

// BenchmarkMigrate compares, for each request, a Manager that migrates with
// one that does not: compare with benchstat -col /config.
func BenchmarkMigrate(b *testing.B) {
	for _, mb := range migrateBenches(b) {
		b.Run("req="+mb.req+"/config="+mb.config, func(b *testing.B) {
			runBench(b, benchCase{h: mb.h, req: mb.r})
		})
	}
}

// TestMigrateAllocs holds migration to costing nothing where it has nothing
// to do: with no legacy cookie, or after Until, a request allocates what
// it would through a Manager that does not migrate.
func TestMigrateAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts in -short mode")
	}
	allocs := map[string]float64{}
	for _, mb := range migrateBenches(t) {
		w := &discardWriter{h: http.Header{}}
		allocs[mb.req+"/"+mb.config] = testing.AllocsPerRun(100, func() {
			clear(w.h)
			mb.h.ServeHTTP(w, mb.r)
		})
	}
	for _, pair := range [][2]string{{"none/on", "none/off"}, {"ours/on", "ours/off"}, {"none/ended", "none/off"}, {"legacy/ended", "legacy/off"}} {
		if allocs[pair[0]] != allocs[pair[1]] {
			t.Errorf("%s: got %v allocations, want %v as %s", pair[0], allocs[pair[0]], allocs[pair[1]], pair[1])
		}
	}
	t.Logf("allocations per request: %v", allocs)
}
