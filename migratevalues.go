package cookiesession

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/cookiesession/cookiesession/internal/gobmap"
)

// This file carries the values of a legacy cookie into a session: it reads
// them from the cookie's JSON or gob payload, one by one, and says why
// any that cannot be carried is dropped.

// fill carries values, a legacy cookie's, into s, and returns what it
// could not carry.
func (s *Session) fill(values []legacyValue) (dropped []string) {
	for _, lv := range values {
		if lv.err != nil {
			dropped = append(dropped, lv.label()+": "+lv.err.Error())
			continue
		}
		if kind, ok := s.m.legacy.FlashKinds[lv.key]; ok {
			dropped = append(dropped, s.fillFlashes(lv, kind)...)
			continue
		}
		v, err := marshalLegacy(lv.key, lv.value)
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

// errMarshalPanic is the error of a legacy value whose MarshalJSON
// panicked.
var errMarshalPanic = errors.New("its MarshalJSON panicked")

// marshalLegacy is marshal for a value decoded from a legacy cookie. The
// value's MarshalJSON was written for the values the program makes, not
// for whatever the old one saved: a panic in it drops the value, as a
// panic in its gob decoding does.
func marshalLegacy(key string, value any) (v []byte, err error) {
	defer func() {
		if recover() != nil {
			v, err = nil, errMarshalPanic
		}
	}()
	return marshal(key, value)
}

// legacyReason says why a value was not carried, without the value.
func legacyReason(err error) string {
	switch {
	case errors.Is(err, errMarshalPanic):
		return err.Error()
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
	entries, err := gobmap.Entries(raw)
	if err != nil {
		return nil, err
	}
	values := make([]legacyValue, 0, len(entries))
	for _, e := range entries {
		key, ok := e.Key.(string)
		switch {
		case e.KeyErr != nil:
			values = append(values, legacyValue{odd: keyLabel(e.KeyName), err: gobReason(e.KeyErr)})
		case !ok:
			values = append(values, legacyValue{odd: keyLabel(e.KeyName), err: errors.New("only string keys migrate")})
		case e.ValueErr != nil:
			values = append(values, legacyValue{key: key, err: gobReason(e.ValueErr)})
		default:
			values = append(values, legacyValue{key: key, value: jsonable(e.Value)})
		}
	}
	return values, nil
}

// keyLabel names a key that is not a string by name, the gob name of its
// type, escaped as Go escapes a string.
func keyLabel(name string) string {
	if name == "" {
		return "(a nil key)"
	}
	q := strconv.Quote(name)
	return "(a key of type " + q[1:len(q)-1] + ")"
}

// gobReason says why a key or value could not be decoded, naming at most
// a gob type: a type's own GobDecode may put its data in its error.
func gobReason(err error) error {
	var ve *gobmap.ValueError
	if !errors.As(err, &ve) {
		return errors.New("gob cannot decode it")
	}
	switch {
	case errors.Is(err, gobmap.ErrUnregistered):
		return fmt.Errorf("its type %q is not registered with gob.Register in this program", ve.Name)
	case errors.Is(err, gobmap.ErrPanic):
		return fmt.Errorf("gob panicked decoding its type %q", ve.Name)
	case errors.Is(err, gobmap.ErrMismatch):
		return fmt.Errorf("its gob encoding does not match its type %q", ve.Name)
	case errors.Is(err, gobmap.ErrUnhashable):
		return fmt.Errorf("its %q has a key that cannot be a Go map key", ve.Name)
	}
	return fmt.Errorf("gob cannot decode it into the type registered as %q", ve.Name)
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
		jsonableValues(v)
	case map[int64]any:
		jsonableValues(v)
	case map[uint64]any:
		jsonableValues(v)
	}
	return v
}

func jsonableValues[K comparable](m map[K]any) {
	for k, e := range m {
		m[k] = jsonable(e)
	}
}
