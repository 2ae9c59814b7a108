package cookiesession_test

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/cookiesession/cookiesession"
)

// The tests of this file check that the features around a session work on
// one split over several cookies: migration from gorilla/sessions and
// Revalidate. (Key rotation is TestChunkedRotation; Inspect and the
// command, the vectors and TestInspectChunks.)

// TestChunkedMigrate migrates a gorilla/sessions cookie whose values take
// more room as JSON than gob gave them (small integers: a byte each in gob,
// two in JSON), so that the session no longer fits in one cookie: with
// MaxCookies 3 it is split over two, and the legacy cookie deleted.
func TestChunkedMigrate(t *testing.T) {
	hashKey := cookiesession.GenerateKey()
	log := &hookLog{}
	m := mustNew(t, freshRing(t), cookiesession.Config{
		MaxCookies: 3,
		Migrate:    &cookiesession.GorillaCookie{Name: legacyName, KeyPairs: [][]byte{hashKey}, Until: time.Now().Add(time.Hour)},
		OnInvalid:  log.record,
	})
	digits := make([]int, 1600)
	for i := range digits {
		digits[i] = i % 10
	}
	legacy := mintLegacy(t, map[interface{}]interface{}{"user": "alice", "digits": digits}, securecookie.CodecsFromPairs(hashKey)...)
	if len(legacy) > cookiesession.MaxCookieSize {
		t.Fatalf("the legacy cookie: %d bytes, more than a browser keeps", len(legacy))
	}

	b := newBrowser()
	b.jar[legacyName] = strings.TrimPrefix(legacy, legacyName+"=")
	var got seen
	resp := b.get(t, look(m, &got), "/")
	if calls := log.calls(); len(calls) > 0 {
		t.Fatalf("OnInvalid: got %v, want no call", calls)
	}
	var names []string
	for _, c := range setCookies(t, resp) {
		names = append(names, c.Name)
	}
	if want := []string{"__Host-session", "__Host-session.1", legacyName}; !slices.Equal(names, want) {
		t.Errorf("migration wrote %q, want %q: the session in two cookies, the legacy one deleted", names, want)
	}
	if got.isNew || got.values["user"] != `"alice"` || len(got.values["digits"]) != 2*len(digits)+1 {
		t.Fatalf("migrated session: new %v, user %s, digits of %d bytes; want alice and every digit", got.isNew, got.values["user"], len(got.values["digits"]))
	}
	want := got.values["digits"]
	b.get(t, look(m, &got), "/")
	if got.isNew || got.values["digits"] != want {
		t.Errorf("read back from its two cookies: new %v, digits of %d bytes; want the migrated session", got.isNew, len(got.values["digits"]))
	}
}

// TestChunkedRevalidate checks Revalidate on a session of several cookies:
// a check that grows the session past a cookie writes the chunk it needs;
// two requests with the same chunks make one call; a check that fails
// deletes every chunk.
func TestChunkedRevalidate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		var revoked atomic.Bool
		log := &hookLog{}
		m := mustNew(t, freshRing(t), cookiesession.Config{
			MaxCookies:      3,
			RevalidateEvery: time.Minute,
			OnInvalid:       log.record,
			Revalidate: func(r *http.Request, s *cookiesession.Session) error {
				n := calls.Add(1)
				if revoked.Load() {
					return errors.New("revoked")
				}
				// A refresh that brings a larger token.
				return s.Set("token", strings.Repeat("t", 1200+400*int(n)))
			},
		})
		h := blobApp(m)
		b := newBrowser()
		b.get(t, h, "/?n=1500")
		if got := b.jarNames(); !slices.Equal(got, []string{"__Host-session"}) {
			t.Fatalf("a session of 1500 bytes: jar %v, want one cookie", got)
		}

		time.Sleep(2 * time.Minute)
		b.get(t, h, "/")
		if got := b.jarNames(); calls.Load() != 1 || !slices.Equal(got, []string{"__Host-session", "__Host-session.1"}) {
			t.Fatalf("after a check that grew the session: %d calls, jar %v; want 1 call and two cookies", calls.Load(), got)
		}

		time.Sleep(2 * time.Minute)
		before := maps.Clone(b.jar)
		b.get(t, h, "/")
		if got := b.jarNames(); calls.Load() != 2 || len(got) != 2 {
			t.Fatalf("after the second check: %d calls, jar %v; want 2 calls and two cookies", calls.Load(), got)
		}
		// The same chunks again, as a request sent with the old cookies
		// just after: the verdict of the check just made, no call.
		old := &browser{jar: before}
		if body := readBody(t, old.get(t, h, "/")); calls.Load() != 2 || !strings.HasPrefix(body, "1500 ") {
			t.Errorf("the old chunks again: %d calls, read %q; want no new call and the session", calls.Load(), body)
		}

		time.Sleep(2 * time.Minute)
		revoked.Store(true)
		resp := b.get(t, h, "/")
		var deleted []string
		for _, c := range setCookies(t, resp) {
			if c.MaxAge < 0 {
				deleted = append(deleted, c.Name)
			}
		}
		if want := []string{"__Host-session", "__Host-session.1"}; !slices.Equal(deleted, want) || len(b.jar) != 0 {
			t.Errorf("a failed check: deleted %v, jar %v; want %v deleted and the jar empty", deleted, b.jarNames(), want)
		}
		var ie *cookiesession.InvalidError
		if calls := log.calls(); len(calls) != 1 || !errors.As(calls[0], &ie) || ie.Reason != cookiesession.ReasonRevalidation {
			t.Errorf("OnInvalid: got %v, want one error with ReasonRevalidation", calls)
		}
	})
}
