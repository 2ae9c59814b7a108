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

// Types of the application that saved the cookies of
// testdata/gorilla-cookies.json, registered under the names they had
// there, in its package main, as the README says to: this test binary
// registers none of Go's built-in types with gob, and links no
// gorilla/sessions, as a program that has moved off gorilla.
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
	// legacyProfile has a field of interface type.
	legacyProfile struct {
		Name  string
		Extra interface{}
	}
)

func init() {
	gob.RegisterName("main.User", legacyUser{})
	gob.RegisterName("*main.Cart", &legacyCart{})
	gob.RegisterName("main.Hook", legacyHook{})
	gob.RegisterName("main.Profile", legacyProfile{})
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
// OnInvalid got one ReasonLegacy error, matching ErrExpired if expired
// and holding securecookie's errors if not, and that nothing was written:
// the legacy cookie stays in the browser.
func refused(t *testing.T, mg *migration, resp *http.Response, got seen, expired bool) {
	t.Helper()
	calls := mg.log.calls()
	var ie *cookiesession.InvalidError
	if len(calls) != 1 || !errors.Is(calls[0], cookiesession.ErrInvalid) || !errors.As(calls[0], &ie) {
		t.Fatalf("OnInvalid got %v, want one error matching ErrInvalid", calls)
	}
	var cause securecookie.MultiError
	if ie.Reason != cookiesession.ReasonLegacy || errors.As(ie.Err, &cause) == expired {
		t.Errorf("got reason %q, cause %v; want %q and, unless expired, securecookie's errors", ie.Reason, ie.Err, cookiesession.ReasonLegacy)
	}
	if errors.Is(calls[0], cookiesession.ErrExpired) != expired {
		t.Errorf("%v: got errors.Is(err, ErrExpired) %v, want %v", calls[0], !expired, expired)
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
			refused(t, mg, resp, got, false)
		})
	}
}

// TestMigrateExpired checks that a legacy cookie is read up to MaxAge
// after the old application last saved it, and not a second later, when
// it is invalid and matches ErrExpired.
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
				refused(t, late, resp, got, true)
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
