package gorilla_test

import (
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// account is a type an application on gorilla/sessions keeps in sessions,
// registered with gob as it must be.
type account struct {
	ID    int      `json:"id"`
	Email string   `json:"email"`
	Tags  []string `json:"tags"`
}

// note is registered with gob only in the process that mints the cookie of
// TestCookieStoreUnregisteredType: an application's type that the new
// program no longer registers.
type note struct{ Text string }

func init() {
	gob.Register(account{})
	gob.Register(map[string]interface{}{})
	gob.Register(time.Time{})
}

// mintEnv, when set to hex-encoded hash and block keys, makes the test
// binary print a cookie that a CookieStore with those keys saves for a
// session holding a note, and exit.
const mintEnv = "GORILLA_MINT_WITH_NOTE"

func TestMain(m *testing.M) {
	if keys := os.Getenv(mintEnv); keys != "" {
		if err := mintWithNote(keys); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func mintWithNote(hexKeys string) error {
	hashKey, blockKey, _ := strings.Cut(hexKeys, ",")
	h, err1 := hex.DecodeString(hashKey)
	b, err2 := hex.DecodeString(blockKey)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	gob.Register(note{})
	c, err := save(sessions.NewCookieStore(h, b), func(s *sessions.Session) {
		s.Values["user"] = "alice"
		s.Values["note"] = note{"remember the milk"}
	})
	if err != nil {
		return err
	}
	_, err = fmt.Print(c.Value)
	return err
}

// save returns the cookie that store's Save writes for a new session
// called "session", changed by change.
func save(store sessions.Store, change func(s *sessions.Session)) (*http.Cookie, error) {
	r := httptest.NewRequest("GET", "https://example.com/", nil)
	s, err := store.New(r, "session")
	if s == nil {
		return nil, err
	}
	change(s)
	rec := httptest.NewRecorder()
	if err := s.Save(r, rec); err != nil {
		return nil, err
	}
	cs := rec.Result().Cookies()
	if len(cs) != 1 {
		return nil, fmt.Errorf("got %d cookies from Save, want 1", len(cs))
	}
	return cs[0], nil
}

func mustSave(t *testing.T, store sessions.Store, change func(s *sessions.Session)) *http.Cookie {
	t.Helper()
	c, err := save(store, change)
	if err != nil {
		t.Fatalf("gorilla's Save: %v", err)
	}
	return c
}

// result is what a request through a migrating Manager saw and sent.
type result struct {
	isNew   bool
	values  map[string]string   // each value's JSON
	flashes map[string][]string // by kind
	cookies []*http.Cookie      // the response's Set-Cookie
	invalid []error             // what OnInvalid got
}

// migrate serves a request carrying c through a Manager that migrates g,
// by default the cookie "session" until an hour from now.
func migrate(t *testing.T, g cookiesession.GorillaCookie, c *http.Cookie) result {
	t.Helper()
	var res result
	g.Name = "session"
	if g.Until.IsZero() {
		g.Until = time.Now().Add(time.Hour)
	}
	m, err := cookiesession.New(cookiesession.InsecureDevelopmentKeyRing(), cookiesession.Config{
		Migrate:   &g,
		OnInvalid: func(r *http.Request, err error) { res.invalid = append(res.invalid, err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Get(r)
		res.isNew, res.values, res.flashes = s.IsNew(), map[string]string{}, map[string][]string{}
		for _, k := range s.Keys() {
			var v json.RawMessage
			s.Get(k, &v)
			res.values[k] = string(v)
		}
		for _, kind := range g.FlashKinds {
			if f := s.Flashes(kind); f != nil {
				res.flashes[kind] = f
			}
		}
	}))
	req := httptest.NewRequest("GET", "https://example.com/", nil)
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res.cookies = rec.Result().Cookies()
	return res
}

// dropped returns the values OnInvalid reported as not carried.
func (res result) dropped(t *testing.T) []string {
	t.Helper()
	var me *cookiesession.MigrationError
	switch {
	case len(res.invalid) == 0:
		return nil
	case len(res.invalid) > 1 || !errors.As(res.invalid[0], &me):
		t.Fatalf("OnInvalid got %v, want at most one MigrationError", res.invalid)
	}
	return me.Dropped
}

// checkSwitched checks that the response issued our cookie and deleted
// the legacy one.
func (res result) checkSwitched(t *testing.T) {
	t.Helper()
	var names []string
	for _, c := range res.cookies {
		names = append(names, fmt.Sprintf("%s (Max-Age %d)", c.Name, c.MaxAge))
	}
	if len(res.cookies) != 2 || res.cookies[0].Name != "__Host-session" || res.cookies[0].MaxAge <= 0 ||
		res.cookies[1].Name != "session" || res.cookies[1].MaxAge != -1 {
		t.Errorf("got Set-Cookie %q, want ours, then the deletion of session", names)
	}
}

// keys are fresh hash and block keys, as an application would generate.
func keys() (hashKey, blockKey []byte) {
	return securecookie.GenerateRandomKey(64), securecookie.GenerateRandomKey(32)
}

func TestCookieStoreValues(t *testing.T) {
	hashNew, blockNew := keys()
	hashOld, blockOld := keys()
	stores := []struct {
		name     string
		store    *sessions.CookieStore // the old application's, when it saved the cookie
		keyPairs [][]byte              // Migrate's
	}{
		{"encrypted", sessions.NewCookieStore(hashNew, blockNew), [][]byte{hashNew, blockNew}},
		{"signed only", sessions.NewCookieStore(hashNew), [][]byte{hashNew}},
		{"rotated, sealed with the new pair", sessions.NewCookieStore(hashNew, blockNew, hashOld, blockOld), [][]byte{hashNew, blockNew, hashOld, blockOld}},
		{"rotated, sealed with the old pair", sessions.NewCookieStore(hashOld, blockOld), [][]byte{hashNew, blockNew, hashOld, blockOld}},
		{"rotated from signed only", sessions.NewCookieStore(hashOld, nil), [][]byte{hashNew, blockNew, hashOld, nil}},
	}
	since := time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)
	want := map[string]string{
		"name": `"alice"`, "id": `42`, "score": `2.5`, "admin": `true`, "raw": `"aGk="`, "since": `"2024-05-01T12:30:00Z"`,
		"tags": `["a","b"]`, "ids": `[1,2]`, "prefs": `{"theme":"dark"}`,
		"account": `{"id":7,"email":"alice@example.com","tags":["x"]}`, "list": `["a",1]`,
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			c := mustSave(t, st.store, func(s *sessions.Session) {
				s.Values["name"], s.Values["id"], s.Values["score"], s.Values["admin"] = "alice", 42, 2.5, true
				s.Values["raw"], s.Values["since"] = []byte("hi"), since
				s.Values["tags"], s.Values["ids"] = []string{"a", "b"}, []int{1, 2}
				s.Values["prefs"] = map[string]interface{}{"theme": "dark"}
				s.Values["account"] = account{ID: 7, Email: "alice@example.com", Tags: []string{"x"}}
				s.Values["list"] = []interface{}{"a", 1}
				s.Values[7] = "seven"
				s.Values["ratio"] = complex(1, 2)
				s.AddFlash("saved")
				s.AddFlash("careful", "warnings")
			})
			res := migrate(t, cookiesession.GorillaCookie{KeyPairs: st.keyPairs, FlashKinds: map[string]string{"_flash": "info", "warnings": "warning"}}, c)
			if fmt.Sprint(res.values) != fmt.Sprint(want) {
				t.Errorf("got values\n%v\nwant\n%v", res.values, want)
			}
			if fmt.Sprint(res.flashes) != "map[info:[saved] warning:[careful]]" {
				t.Errorf("got flashes %v, want info [saved] and warning [careful]", res.flashes)
			}
			wantDropped := []string{`"ratio": JSON cannot represent complex128`, "(a key of type int): only string keys migrate"}
			if d := res.dropped(t); !slices.Equal(d, wantDropped) {
				t.Errorf("got dropped %q, want %q", d, wantDropped)
			}
			res.checkSwitched(t)
		})
	}
}

// TestCookieStoreUnregisteredType migrates a cookie that the old program
// saved with a value of a type this one does not register: gorilla's own
// store can read none of it; the Manager drops that value alone.
func TestCookieStoreUnregisteredType(t *testing.T) {
	hashKey, blockKey := keys()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mintEnv+"="+hex.EncodeToString(hashKey)+","+hex.EncodeToString(blockKey))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("minting in another process: %v", err)
	}
	c := &http.Cookie{Name: "session", Value: string(out)}

	req := httptest.NewRequest("GET", "https://example.com/", nil)
	req.AddCookie(c)
	if s, err := sessions.NewCookieStore(hashKey, blockKey).Get(req, "session"); err == nil || !s.IsNew {
		t.Errorf("gorilla's store: got IsNew %v, error %v; want a new session and an error", s.IsNew, err)
	}

	res := migrate(t, cookiesession.GorillaCookie{KeyPairs: [][]byte{hashKey, blockKey}}, c)
	if fmt.Sprint(res.values) != `map[user:"alice"]` {
		t.Errorf("got values %v, want user alone", res.values)
	}
	want := []string{`"note": its type "github.com/cookiesession/cookiesession/examples/gorilla_test.note" is not registered with gob.Register in this program`}
	if d := res.dropped(t); !slices.Equal(d, want) {
		t.Errorf("got dropped %q, want %q", d, want)
	}
	res.checkSwitched(t)
}

// TestCookieStoreJSON shows that a CookieStore whose codecs serialize JSON
// cannot save a session, and migrates what an application that calls
// securecookie with JSON itself writes.
func TestCookieStoreJSON(t *testing.T) {
	hashKey, blockKey := keys()
	store := sessions.NewCookieStore(hashKey, blockKey)
	for _, c := range store.Codecs {
		c.(*securecookie.SecureCookie).SetSerializer(securecookie.JSONEncoder{})
	}
	_, err := save(store, func(s *sessions.Session) { s.Values["user"] = "alice" })
	var unsupported *json.UnsupportedTypeError
	if !errors.As(rootCause(err), &unsupported) {
		t.Fatalf("CookieStore with JSON: got %v, want json's UnsupportedTypeError", err)
	}

	v, err := securecookie.EncodeMulti("session", map[string]interface{}{"user": "alice", "visits": 3}, store.Codecs...)
	if err != nil {
		t.Fatal(err)
	}
	res := migrate(t, cookiesession.GorillaCookie{KeyPairs: [][]byte{hashKey, blockKey}}, &http.Cookie{Name: "session", Value: v})
	if fmt.Sprint(res.values) != `map[user:"alice" visits:3]` || len(res.invalid) != 0 {
		t.Errorf("got values %v, OnInvalid %v; want user and visits, no call", res.values, res.invalid)
	}
	res.checkSwitched(t)
}

// rootCause follows securecookie's errors, which do not unwrap, to the
// error behind them.
func rootCause(err error) error {
	if multi, ok := err.(securecookie.MultiError); ok && len(multi) == 1 {
		return rootCause(multi[0])
	}
	if e, ok := err.(securecookie.Error); ok && e.Cause() != nil {
		return rootCause(e.Cause())
	}
	return err
}

// TestCookieStoreRefused checks that tampered and expired cookies, and
// those of other keys, are invalid, an expired one matching ErrExpired,
// and that no cookie is read from Until on.
func TestCookieStoreRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hashKey, blockKey := keys()
		otherHash, otherBlock := keys()
		alice := func(s *sessions.Session) { s.Values["user"] = "alice" }
		good := mustSave(t, sessions.NewCookieStore(hashKey, blockKey), alice)
		tampered := *good
		tampered.Value = good.Value[:20] + string(good.Value[20]^1) + good.Value[21:]
		other := mustSave(t, sessions.NewCookieStore(otherHash, otherBlock), alice)
		refused := func(name string, c *http.Cookie, expired bool) {
			res := migrate(t, cookiesession.GorillaCookie{KeyPairs: [][]byte{hashKey, blockKey}}, c)
			var ie *cookiesession.InvalidError
			if len(res.invalid) != 1 || !errors.As(res.invalid[0], &ie) || ie.Reason != cookiesession.ReasonLegacy ||
				errors.Is(res.invalid[0], cookiesession.ErrExpired) != expired {
				t.Errorf("%s: OnInvalid got %v, want one InvalidError with ReasonLegacy, matching ErrExpired: %v", name, res.invalid, expired)
			}
			if !res.isNew || len(res.values) != 0 || len(res.cookies) != 0 {
				t.Errorf("%s: got IsNew %v, values %v, Set-Cookie %v; want a new session and nothing written",
					name, res.isNew, res.values, res.cookies)
			}
		}
		refused("tampered", &tampered, false)
		refused("other keys", other, false)

		time.Sleep(30 * 24 * time.Hour)
		if res := migrate(t, cookiesession.GorillaCookie{KeyPairs: [][]byte{hashKey, blockKey}}, good); res.values["user"] != `"alice"` {
			t.Errorf("30 days old: got values %v, want user", res.values)
		}
		time.Sleep(time.Second)
		refused("30 days and a second old", good, true)

		fresh := mustSave(t, sessions.NewCookieStore(hashKey, blockKey), alice)
		for _, c := range []*http.Cookie{fresh, &tampered} {
			res := migrate(t, cookiesession.GorillaCookie{KeyPairs: [][]byte{hashKey, blockKey}, Until: time.Now()}, c)
			if !res.isNew || len(res.values) != 0 || len(res.cookies) != 0 || len(res.invalid) != 0 {
				t.Errorf("at Until: got IsNew %v, values %v, Set-Cookie %v, OnInvalid %v; want a new session, nothing read or written",
					res.isNew, res.values, res.cookies, res.invalid)
			}
		}
	})
}

// TestCookieStoreDefaults pins the attributes that gorilla/sessions
// v1.4.0's CookieStore gives its cookie by default, which the README
// compares with ours.
func TestCookieStoreDefaults(t *testing.T) {
	c := mustSave(t, sessions.NewCookieStore(keys()), func(s *sessions.Session) { s.Values["user"] = "alice" })
	if c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteNoneMode || c.MaxAge != 30*24*60*60 || c.Path != "/" {
		t.Errorf("got HttpOnly %v, Secure %v, SameSite %v, Max-Age %d, Path %q; want false, true, None, 30 days, /",
			c.HttpOnly, c.Secure, c.SameSite, c.MaxAge, c.Path)
	}
}
