package cookiesession

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
)

// GorillaCookie describes the cookie of a gorilla/sessions CookieStore (as
// used directly, or by gin-contrib/sessions and echo-contrib/session) that
// a [Manager] reads into a session of its own, so that moving to this
// package signs nobody out; see [Config.Migrate].
//
// On a request whose session is used and that carries no valid cookie of
// the Manager's but a valid legacy cookie, the Manager makes a session of
// the legacy cookie's values, writes its own cookie and deletes the legacy
// one, on that response. Nothing is kept on the server, so a copy of a
// legacy cookie migrates again until it is MaxAge old or Until has come;
// and if Path or Domain are not the legacy cookie's, the deletion does not
// take, and a user who signs out is signed in again by the legacy cookie.
// Config.Revalidate, if set, checks a migrated session on its first
// request.
//
// A value is carried if its key is a string of 1 to 255 bytes of UTF-8
// and JSON can represent it. gob values of Go's built-in types (bool,
// numbers, strings, []byte, and slices, arrays and maps of them and of
// interface{}, such as gorilla's []interface{} flashes) and time.Time
// values are read with no gob.Register call. A value of a named type is
// read into the type this program registered with gob under the name the
// old program sent: its package path and name, as gob.Register makes it
// (gob.RegisterName keeps it for a type that moved); with nothing
// registered under that name, it cannot be read. Values that are not
// carried are dropped and reported to Config.OnInvalid in a
// *MigrationError, by key; the rest migrate. Values that gorilla keeps as
// flashes (see FlashKinds) become flashes.
//
// A legacy cookie that fails to open (tampered with, older than MaxAge,
// under none of KeyPairs, or whose payload no block key of a pair whose
// hash key authenticates it turns into a gob or JSON map) is an invalid
// cookie: OnInvalid gets an [*InvalidError] with [ReasonLegacy], which
// also matches [ErrExpired] if the cookie is older than MaxAge, and the
// cookie is left in the browser. From Until on, legacy cookies are not
// read at all, and requests pay nothing for them.
//
// A GorillaCookie's key material never appears in its String or %v output.
type GorillaCookie struct {
	// Name is the legacy cookie's name: the session name given to
	// CookieStore.Get (or to gin-contrib's sessions.Sessions). Required,
	// and different from Config.Name.
	Name string

	// KeyPairs are the hash and block keys given to sessions.NewCookieStore
	// or securecookie.CodecsFromPairs, in the same order: a hash key, then
	// its block key (nil for a store that only signs), then an older pair
	// for each rotation. Required.
	KeyPairs [][]byte

	// Path and Domain are the legacy cookie's attributes, used to delete
	// it. Default Path "/" (gorilla's default) and no Domain.
	Path   string
	Domain string

	// MaxAge is the oldest a legacy cookie may be, from the last time the
	// old application saved it, as securecookie's MaxAge; an older one is
	// invalid and matches ErrExpired. Default 30 days, securecookie's and
	// gorilla's default.
	MaxAge time.Duration

	// Until is when migration ends: from then on legacy cookies are not
	// read. Set it to the legacy sessions' lifetime after the switch (30
	// days, by gorilla's default). Required.
	Until time.Time

	// FlashKinds maps the keys under which the old application kept
	// flashes to the flash kinds they become. gorilla's AddFlash(v) keeps
	// them under "_flash", AddFlash(v, "name") under "name"; a value under
	// any other key migrates as a value. Each string in a list becomes one
	// flash; others are dropped. "_flash" becomes "info" unless FlashKinds
	// maps "_flash" itself: {"_notice": "notice"} carries both "_flash"
	// and "_notice".
	FlashKinds map[string]string
}

// String describes g without its keys.
func (g GorillaCookie) String() string {
	return fmt.Sprintf("GorillaCookie{Name: %q, KeyPairs: %d keys, Path: %q, Domain: %q, MaxAge: %v, Until: %v}",
		g.Name, len(g.KeyPairs), g.Path, g.Domain, g.MaxAge, g.Until.Format(time.RFC3339))
}

// GoString is String, so %#v shows no key.
func (g GorillaCookie) GoString() string { return g.String() }

// MarshalJSON encodes String, so that no key reaches a JSON log.
func (g GorillaCookie) MarshalJSON() ([]byte, error) { return json.Marshal(g.String()) }

// LogValue is String, so that no key reaches a log/slog record.
func (g GorillaCookie) LogValue() slog.Value { return slog.StringValue(g.String()) }

// Format makes every fmt verb print String, so no verb reveals a key.
func (g GorillaCookie) Format(f fmt.State, _ rune) { f.Write([]byte(g.String())) }

// MigrationError reports the values of a legacy cookie that could not be
// carried into the new session. It does not match [ErrInvalid]: the
// session migrated, without them.
type MigrationError struct {
	// Dropped names each value left behind and why, as "key: reason",
	// sorted; never the value itself. A string key is quoted as Go quotes
	// it ("\"cart\": JSON cannot represent complex128"), a flash by its
	// key and index ("\"_flash\"[1]: a flash of type int, not a
	// string"). A key that is not a string is named by the gob name of
	// its type, as "(a key of type int)" or "(a key of type main.User)",
	// and a nil key as "(a nil key)".
	Dropped []string
}

func (e *MigrationError) Error() string {
	return "cookiesession: legacy cookie values not carried: " + strings.Join(e.Dropped, "; ")
}

// legacy is a checked GorillaCookie, ready to read.
type legacy struct {
	GorillaCookie
	codecs []securecookie.Codec
	delete string // the Set-Cookie line that deletes the legacy cookie
}

const defaultLegacyMaxAge = 30 * 24 * time.Hour

// newLegacy checks g and prepares its codecs, which read the raw
// serialized bytes so that each value can be decoded on its own, and leave
// the check of the cookie's age to open.
func newLegacy(g *GorillaCookie, cfg *Config) (*legacy, error) {
	l := &legacy{GorillaCookie: *g}
	l.Path = cmp.Or(l.Path, "/")
	l.MaxAge = cmp.Or(l.MaxAge, defaultLegacyMaxAge)
	l.FlashKinds = map[string]string{"_flash": "info"}
	maps.Copy(l.FlashKinds, g.FlashKinds)
	switch {
	case l.Name == "" || l.Name == cfg.Name:
		return nil, errors.New("cookiesession: Migrate.Name must name the legacy cookie, and differ from Config.Name")
	case len(l.KeyPairs) == 0 || len(l.KeyPairs[0]) == 0:
		return nil, errors.New("cookiesession: Migrate.KeyPairs needs the legacy store's hash key")
	case l.Until.IsZero():
		return nil, errors.New("cookiesession: Migrate.Until must say when migration ends")
	case l.MaxAge < time.Second:
		return nil, errors.New("cookiesession: Migrate.MaxAge must be at least a second")
	}
	c := &http.Cookie{Name: l.Name, Value: "v", Path: l.Path, Domain: l.Domain}
	if err := c.Valid(); err != nil {
		return nil, fmt.Errorf("cookiesession: invalid Migrate cookie: %w", err)
	}
	for key, kind := range l.FlashKinds {
		if _, err := marshal(kind, ""); err != nil {
			return nil, fmt.Errorf("cookiesession: Migrate.FlashKinds[%q]: %w", key, err)
		}
	}
	l.codecs = securecookie.CodecsFromPairs(l.KeyPairs...)
	for i, codec := range l.codecs {
		sc := codec.(*securecookie.SecureCookie)
		sc.SetSerializer(securecookie.NopEncoder{})
		sc.MaxAge(0)
		if _, err := sc.Encode(l.Name, []byte{}); err != nil { // the codec's sticky error, if any
			return nil, fmt.Errorf("cookiesession: Migrate.KeyPairs pair %d: %w", i+1, err)
		}
	}
	c.Value, c.MaxAge, c.Expires = "", -1, time.Unix(1, 0)
	c.HttpOnly, c.Secure, c.SameSite = true, !cfg.InsecureNoSecure, http.SameSiteLaxMode
	l.delete = c.String()
	return l, nil
}

// migrate makes s a session of the request's legacy cookie, if it has a
// valid one, with s.mu held. It reports whether a legacy cookie was
// present, and any error for OnInvalid.
func (s *Session) migrate(now time.Time) (bool, error) {
	l := s.m.legacy
	if l == nil || s.via != viaCookie || !now.Before(l.Until) {
		return false, nil
	}
	var buf [maxCandidates]string
	candidates := buf[:0]
	for v := range cookieValues(s.req.Header, l.Name) {
		candidates = addCandidate(candidates, v)
	}
	var firstErr error
	for _, v := range candidates {
		values, err := l.open(v, now)
		if err != nil {
			firstErr = cmp.Or(firstErr, error(&InvalidError{Reason: ReasonLegacy, Err: err}))
			continue
		}
		s.reset(now)
		s.isNew, s.migrated = false, true
		dropped := s.fill(values)
		s.m.stats.migrated.Add(1)
		s.m.stats.dropped.Add(uint64(len(dropped)))
		if len(dropped) > 0 {
			slices.Sort(dropped)
			return true, &MigrationError{Dropped: dropped}
		}
		return true, nil
	}
	return len(candidates) > 0, firstErr
}

// errLegacyPayload is the error of a key pair whose hash key authenticates
// a legacy cookie and whose block key (or its absence) does not turn the
// payload into a gob or JSON map.
var errLegacyPayload = errors.New("cookiesession: a key pair's hash key authenticates the legacy cookie, but its block key does not give a gob or JSON map")

// legacyExpired is the error of a legacy cookie older than MaxAge.
type legacyExpired struct{}

func (legacyExpired) Error() string { return "cookiesession: legacy cookie older than Migrate.MaxAge" }

// Is makes the error match ErrExpired.
func (legacyExpired) Is(target error) bool { return target == ErrExpired }

// open returns the values of legacy cookie value v under the first key
// pair whose hash key authenticates it and whose block key gives a
// readable payload, as gorilla's CodecsFromPairs tries them. Its error is
// legacyExpired, or a securecookie.MultiError with each pair's error.
func (l *legacy) open(v string, now time.Time) ([]legacyValue, error) {
	var errs securecookie.MultiError
	for _, codec := range l.codecs {
		var raw []byte
		if err := codec.Decode(l.Name, v, &raw); err != nil {
			errs = append(errs, err)
			continue
		}
		if legacySealedAt(v) < now.Unix()-int64(l.MaxAge/time.Second) {
			return nil, legacyExpired{}
		}
		values, err := legacyValues(raw)
		if err != nil {
			errs = append(errs, errLegacyPayload)
			continue
		}
		return values, nil
	}
	return nil, errs
}

// legacySealedAt returns the time, in Unix seconds, at which securecookie
// sealed v, which a codec has authenticated: v is the base64 of
// "date|value|mac".
func legacySealedAt(v string) int64 {
	b, _ := base64.URLEncoding.DecodeString(v)
	date, _, _ := bytes.Cut(b, []byte("|"))
	t, _ := strconv.ParseInt(string(date), 10, 64)
	return t
}
