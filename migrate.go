package cookiesession

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
// Config.Revalidate, if set, checks a migrated session on its first request. A value is carried if its key is a string of 1 to
// 255 bytes of UTF-8 and JSON can represent it; gob values of types this
// process has not registered with gob.Register cannot be read and are not
// carried. Values that are not carried are dropped, and reported to
// Config.OnInvalid, by key, in a *MigrationError; the rest migrate.
// Values that gorilla keeps as flashes (see FlashKinds) become flashes.
//
// A legacy cookie that fails to open (tampered with, older than MaxAge,
// under none of KeyPairs) is an invalid cookie: OnInvalid gets an
// [*InvalidError] with [ReasonLegacy]. From Until on, legacy cookies are
// not read at all, and requests pay nothing for them.
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
	// old application saved it; securecookie refuses older ones. Default
	// 30 days, securecookie's and gorilla's default.
	MaxAge time.Duration

	// Until is when migration ends: from then on legacy cookies are not
	// read. Set it to the legacy sessions' lifetime after the switch (30
	// days, by gorilla's default). Required.
	Until time.Time

	// FlashKinds maps the keys under which the old application kept
	// flashes to the flash kinds they become. gorilla's AddFlash(v) keeps
	// them under "_flash", AddFlash(v, "name") under "name"; a slice under
	// any other key migrates as a value. Each string in the slice becomes
	// one flash; others are dropped. Default {"_flash": "info"}.
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
	// Dropped names each value left behind and why, as "key: reason";
	// never the value itself.
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
// serialized bytes so that each value can be decoded on its own.
func newLegacy(g *GorillaCookie, cfg *Config) (*legacy, error) {
	l := &legacy{GorillaCookie: *g}
	l.Path = cmp.Or(l.Path, "/")
	l.MaxAge = cmp.Or(l.MaxAge, defaultLegacyMaxAge)
	if l.FlashKinds == nil {
		l.FlashKinds = map[string]string{"_flash": "info"}
	}
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
		sc.MaxAge(int(l.MaxAge / time.Second))
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
		var raw []byte
		err := securecookie.DecodeMulti(l.Name, v, &raw, l.codecs...)
		if err != nil {
			firstErr = cmp.Or(firstErr, error(&InvalidError{Reason: ReasonLegacy, Err: err}))
			continue
		}
		s.reset(now)
		s.isNew, s.migrated = false, true
		dropped := s.fill(raw)
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

// fill carries the values of a legacy cookie's serialized map into s, and
// returns what it could not carry.
func (s *Session) fill(raw []byte) (dropped []string) {
	values, err := legacyValues(raw)
	if err != nil {
		return []string{"(all): " + err.Error()}
	}
	for _, lv := range values {
		if lv.err != nil {
			dropped = append(dropped, lv.label()+": "+lv.err.Error())
			continue
		}
		if kind, ok := s.m.legacy.FlashKinds[lv.key]; ok {
			dropped = append(dropped, s.fillFlashes(lv, kind)...)
			continue
		}
		v, err := marshal(lv.key, lv.value)
		if err == nil {
			err = s.put(lv.key, v)
		}
		if err != nil {
			dropped = append(dropped, lv.label()+": "+legacyReason(err))
		}
	}
	return dropped
}

// fillFlashes adds the strings of a legacy flash slice as flashes of kind.
func (s *Session) fillFlashes(lv legacyValue, kind string) (dropped []string) {
	if raw, ok := lv.value.(json.RawMessage); ok { // from securecookie's JSONEncoder
		var list []any
		if json.Unmarshal(raw, &list) == nil {
			lv.value = list
		}
	}
	list, ok := lv.value.([]any)
	if !ok {
		return []string{fmt.Sprintf("%s: flashes of type %T, not a list", lv.label(), lv.value)}
	}
	for i, f := range list {
		msg, ok := f.(string)
		if !ok {
			dropped = append(dropped, fmt.Sprintf("%s[%d]: a flash of type %T, not a string", lv.label(), i, f))
			continue
		}
		v, _ := json.Marshal(msg)
		if err := s.addFlash(kind, v); err != nil {
			dropped = append(dropped, fmt.Sprintf("%s[%d]: %s", lv.label(), i, legacyReason(err)))
		}
	}
	return dropped
}

// legacyReason says why a value was not carried, without the value.
func legacyReason(err error) string {
	switch {
	case errors.Is(err, ErrTooLarge):
		return "does not fit in the cookie"
	case errors.Is(err, ErrKey):
		return "the key is not 1 to 255 bytes of UTF-8"
	}
	var ute *json.UnsupportedTypeError
	var uve *json.UnsupportedValueError
	switch {
	case errors.As(err, &ute):
		return "JSON cannot represent " + ute.Type.String()
	case errors.As(err, &uve):
		return "JSON cannot represent it (" + uve.Str + ")"
	}
	return "JSON cannot represent it"
}

// legacyValue is one value of a legacy cookie: its key (or, for a key
// that is not a string, what it is), and its decoded value or why it could
// not be decoded.
type legacyValue struct {
	key   string
	odd   string
	value any
	err   error
}

// label names v in a MigrationError: its key, quoted, or what it is.
func (v legacyValue) label() string {
	if v.odd != "" {
		return v.odd
	}
	return strconv.Quote(v.key)
}

// legacyValues reads a legacy cookie's serialized map: a JSON object
// (securecookie's JSONEncoder), or else gob (its default), value by value.
func legacyValues(raw []byte) ([]legacyValue, error) {
	// A gob stream opens with its map's type definition, whose length is
	// never '{'.
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(t, &m); err != nil {
			return nil, errors.New("not a JSON object")
		}
		values := make([]legacyValue, 0, len(m))
		for k, v := range m {
			values = append(values, legacyValue{key: k, value: v})
		}
		return values, nil
	}
	entries, err := gobMapEntries(raw)
	if err != nil {
		return nil, errors.New("not a gob-encoded map")
	}
	values := make([]legacyValue, 0, len(entries))
	for _, e := range entries {
		key, ok := e.key.(string)
		switch {
		case e.keyErr != nil:
			values = append(values, legacyValue{odd: "(a key that cannot be decoded)", err: errors.New("dropped")})
		case !ok:
			values = append(values, legacyValue{odd: fmt.Sprintf("(a key of type %T)", e.key), err: errors.New("only string keys migrate")})
		case e.valueErr != nil:
			values = append(values, legacyValue{key: key, err: gobReason(e.valueErr)})
		default:
			values = append(values, legacyValue{key: key, value: jsonable(e.value)})
		}
	}
	return values, nil
}

// gobReason says why gob could not decode a value, without quoting from
// the error anything but a type name: a type's own GobDecode may put its
// data in its error.
func gobReason(err error) error {
	const unregistered = `gob: name not registered for interface: "`
	msg := err.Error()
	switch {
	case errors.Is(err, errGobPanic):
		return errors.New("its gob decoding panicked")
	case strings.HasPrefix(msg, unregistered) && strings.Count(msg, `"`) == 2:
		name := strings.TrimSuffix(strings.TrimPrefix(msg, unregistered), `"`)
		return fmt.Errorf("its type %q is not registered with gob.Register in this program", name)
	}
	return errors.New("gob cannot decode it into the type registered for it")
}

// jsonable returns v, freshly decoded, with every map[any]any in it whose
// keys are all strings made a map[string]any, which encoding/json can
// marshal. It changes the slices and maps of v in place.
func jsonable(v any) any {
	switch v := v.(type) {
	case map[any]any:
		m, err := stringKeys(v)
		if err != nil {
			return v // left for json.Marshal to refuse
		}
		return jsonable(m)
	case []any:
		for i, e := range v {
			v[i] = jsonable(e)
		}
	case map[string]any:
		for k, e := range v {
			v[k] = jsonable(e)
		}
	}
	return v
}
