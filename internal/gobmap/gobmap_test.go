package gobmap

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Types that sessions store, registered with gob as an application
// registers its own types. Go's built-in types are registered only in the
// child process that encodes the samples (see TestMain): this process
// decodes them as a program that no longer links gorilla/sessions does.
type (
	gobUser struct {
		ID    int
		Name  string
		Roles []string
		Extra interface{}
	}
	gobItem struct {
		SKU string
		Qty uint
	}
	gobCart struct{ Items []gobItem }
	// gobHidden is registered under a name that tests rewrite in a stream to
	// one this process does not know; gobNumber and gobWord under names that
	// tests swap, giving a registered type that does not match the stream.
	gobHidden struct{ Note string }
	gobNumber struct{ N int }
	gobWord   struct{ N string }
	// gobPanics panics when decoded.
	gobPanics struct{}
	// gobBinary goes by its marshaler; gobNode is recursive.
	gobBinary struct{ b byte }
	gobNode   struct {
		V    int
		Next *gobNode
		Tags [2]string
		Seen map[string]bool
	}
)

func (b gobBinary) MarshalBinary() ([]byte, error)  { return []byte{b.b}, nil }
func (b *gobBinary) UnmarshalBinary(p []byte) error { b.b = p[0]; return nil }

func (gobPanics) GobEncode() ([]byte, error) { return []byte{1}, nil }
func (*gobPanics) GobDecode([]byte) error    { panic("gobPanics: GobDecode") }

const (
	gobHiddenName  = "gobmap.gobHidden"
	gobUnknownName = "gobmap.gobUnknwn" // as long as gobHiddenName, registered nowhere
	gobNumberName  = "gobmap.gobNumber"
	gobWordName    = "gobmap.gobWordxx" // as long as gobNumberName
)

func init() {
	gob.Register(gobUser{})
	gob.Register(&gobCart{})
	gob.Register(gobItem{})
	gob.Register(gobPanics{})
	gob.Register(gobBinary{})
	gob.Register(&gobNode{})
	gob.RegisterName(gobHiddenName, gobHidden{})
	gob.RegisterName(gobNumberName, gobNumber{})
	gob.RegisterName(gobWordName, gobWord{})
}

// encodeEnv, when set, makes the test binary register the built-in types
// that the samples hold, as gorilla/sessions and an application on it do,
// print the gob encoding of every sample, and exit.
const encodeEnv = "GOBMAP_TEST_ENCODE"

func TestMain(m *testing.M) {
	if os.Getenv(encodeEnv) != "" {
		if err := encodeSamples(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func encodeSamples() error {
	for _, v := range []any{
		[]interface{}(nil), map[string]interface{}(nil), map[interface{}]interface{}(nil), time.Time{},
		[3]int{}, [4]uint8{}, [2]int{}, map[int8]string(nil), map[uint]bool(nil), []float32(nil), [][]byte(nil),
		map[string]int(nil), [0]int{},
	} {
		gob.Register(v)
	}
	streams := map[string][]byte{}
	for name, m := range samples() {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(m); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		streams[name] = buf.Bytes()
	}
	for _, order := range sharedOrders {
		s, err := encodeInOrder(sharedSample(), order...)
		if err != nil {
			return err
		}
		streams["shared "+strings.Join(order, ",")] = s
	}
	return gob.NewEncoder(os.Stdout).Encode(streams)
}

var (
	streamsOnce sync.Once
	streamsMap  map[string][]byte
	streamsErr  error
)

// streams returns the gob encoding of each sample, by name, made by the
// child process.
func streams(tb testing.TB) map[string][]byte {
	tb.Helper()
	streamsOnce.Do(func() {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), encodeEnv+"=1")
		out, err := cmd.Output()
		if err != nil {
			streamsErr = fmt.Errorf("encoding the samples in a child process: %w", err)
			return
		}
		streamsErr = gob.NewDecoder(bytes.NewReader(out)).Decode(&streamsMap)
	})
	if streamsErr != nil {
		tb.Fatal(streamsErr)
	}
	return streamsMap
}

// stream returns the encoding of sample name.
func stream(tb testing.TB, name string) []byte {
	tb.Helper()
	s, ok := streams(tb)[name]
	if !ok {
		tb.Fatalf("no sample %q", name)
	}
	return s
}

var when = time.Date(2024, 5, 1, 12, 30, 0, 7, time.UTC)

// samples are maps as gorilla/sessions stores them, by name.
func samples() map[string]map[interface{}]interface{} {
	many := make(map[interface{}]interface{})
	for i := range 100 {
		many[fmt.Sprintf("key-%03d", i)] = i * i
	}
	var deep interface{} = "bottom"
	for range 600 {
		deep = []interface{}{deep}
	}
	user := gobUser{ID: 7, Name: "alice", Roles: []string{"admin"}, Extra: 1.5}
	return map[string]map[interface{}]interface{}{
		"strings": {"user": "alice", "empty": "", "long": strings.Repeat("x", 300)},
		"ints": {"int": 42, "neg": -1, "int8": int8(-128), "int16": int16(300), "int32": int32(-70000),
			"int64": int64(1) << 62, "uint": uint(7), "uint8": uint8(255), "uint16": uint16(7), "uint32": uint32(7),
			"uint64": uint64(1) << 63, "uintptr": uintptr(9)},
		"floats and bools": {"f": 3.25, "f32": float32(0.1), "c": complex(1, -2), "c64": complex64(complex(0.5, 1)), "t": true, "f0": false},
		"bytes":            {"b": []byte{0, 1, 0xff}, "none": []byte{}, "list": [][]byte{{1}, {}}},
		"flashes":          {"_flash": []interface{}{"saved", "welcome"}, "errors": []interface{}{"bad"}, "none": []interface{}{}},
		"map value":        {"prefs": map[string]interface{}{"theme": "dark", "size": 12, "tags": []interface{}{"a"}}},
		"typed maps":       {"counts": map[string]int{"a": 1}, "small": map[int8]string{-1: "x"}, "flags": map[uint]bool{3: true}, "empty": map[string]int{}},
		"interface map":    {"m": map[interface{}]interface{}{"a": map[interface{}]interface{}{"b": 1}, 2: "two"}},
		"time":             {"created": when, "zoned": time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("X", 3600)), "list": []interface{}{when}},
		"slices":           {"strings": []string{"a", "b"}, "ints": []int{1, 2}, "floats": []float32{0.1}, "empty": []string{}},
		"arrays":           {"a": [3]int{1, 2, 3}, "bytes": [4]uint8{1, 2, 3, 4}, "none": [0]int{}},
		"struct":           {"user": user},
		"pointer":          {"cart": &gobCart{Items: []gobItem{{"a-1", 2}, {"b-2", 1}}}},
		"marshalers":       {"bin": gobBinary{7}},
		"recursive":        {"list": &gobNode{V: 1, Next: &gobNode{V: 2, Tags: [2]string{"a", "b"}, Seen: map[string]bool{"x": true}}}},
		"nested":           {"list": []interface{}{user, "x", []interface{}{gobUser{ID: 8, Extra: "y"}}, map[string]interface{}{"u": user}}},
		"int keys":         {1: "one", -2: "minus two", int64(3): "three", 2.5: "float", true: "bool"},
		"nil":              {"nil": nil, nil: "nil key"},
		"empty":            {},
		"many":             many,
		"deep":             {"deep": deep},
		"shallow":          {"v": []interface{}{[]interface{}{[]interface{}{"x"}}}},
		"damaged": {"user": gobUser{ID: 1, Roles: []string{"r"}, Extra: gobItem{"s", 1}}, "cart": &gobCart{Items: []gobItem{{"a", 1}}},
			"n": 3, "when": time.Unix(1e9, 0), "flash": []interface{}{"hi", gobItem{"t", 2}}, "prefs": map[string]interface{}{"a": 1.5}},
		"session": {"user_id": int64(48213), "username": "alice@example.com", "authenticated": true,
			"created": when, "csrf": "q3Jp0xv8T1a9sM2bK7wYfD4eL6nH5cRz", "_flash": []interface{}{"Profile saved."}},
		"session basics": {"user_id": int64(48213), "username": "alice@example.com", "authenticated": true,
			"csrf": "q3Jp0xv8T1a9sM2bK7wYfD4eL6nH5cRz", "cart": &gobCart{Items: []gobItem{{"a-1", 2}}}},
		// Values that fail alone, among others that share their types: see
		// TestEntriesFailAlone.
		"unregistered value":         failAlone("bad", gobHidden{"h"}),
		"unregistered nested":        failAlone("bad", []interface{}{"a", gobHidden{"h"}}),
		"unregistered in struct":     failAlone("bad", gobUser{Extra: gobHidden{"h"}}),
		"unregistered key":           failAlone(gobHidden{"k"}, "v"),
		"built-in in a struct field": failAlone("bad", gobUser{Extra: []interface{}{"x"}}),
		"mismatched type":            failAlone("bad", gobNumber{3}),
		"panicking GobDecode":        failAlone("bad", gobPanics{}),
		"int as uint8":               failAlone("bad", []interface{}{"a", int16(300)}),
		"int32 out of int16":         failAlone("bad", map[string]interface{}{"n": int32(70000)}),
		"array of another length":    failAlone("bad", [3]int{1, 2, 3}),
		"array as a map key":         failAlone("bad", map[interface{}]interface{}{[2]int{1, 2}: "x"}),
	}
}

// goodValues are what each failAlone sample holds besides its bad value.
func goodValues() map[interface{}]interface{} {
	return map[interface{}]interface{}{
		"user":   gobUser{ID: 1, Extra: gobItem{"s", 1}},
		"flash":  []interface{}{"hi", gobUser{ID: 2}},
		"number": 4,
		5:        "five",
	}
}

func failAlone(key, value interface{}) map[interface{}]interface{} {
	m := goodValues()
	m[key] = value
	return m
}

// sharedSample defines types once and uses them in later entries: at the
// top of the stream or inline inside an earlier entry's value, and used
// again at the top or nested.
func sharedSample() map[interface{}]interface{} {
	u := gobUser{ID: 1, Name: "a", Extra: gobItem{"i", 1}}
	return map[interface{}]interface{}{
		"k-nested": []interface{}{u, map[string]interface{}{"v": &gobCart{}}},
		"k-top":    u,
		"k-cart":   &gobCart{Items: []gobItem{{"x", 3}}},
	}
}

var sharedOrders = [][]string{{"k-nested", "k-top", "k-cart"}, {"k-top", "k-cart", "k-nested"}}

// encodeInOrder encodes m, whose keys are strings that occur nowhere else in
// the stream, again until the stream has them in the order given.
func encodeInOrder(m map[interface{}]interface{}, keys ...string) ([]byte, error) {
	for range 100 {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(m); err != nil {
			return nil, err
		}
		stream := buf.Bytes()
		inOrder := true
		for i := 1; i < len(keys); i++ {
			inOrder = inOrder && bytes.Index(stream, []byte(keys[i-1])) < bytes.Index(stream, []byte(keys[i]))
		}
		if inOrder {
			return stream, nil
		}
	}
	return nil, fmt.Errorf("gob never wrote keys %q in that order", keys)
}

func gobEncode(tb testing.TB, v any) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		tb.Fatalf("encoding %T: %v", v, err)
	}
	return buf.Bytes()
}

// gobDecodeMap decodes stream as a whole, as gorilla/sessions does.
func gobDecodeMap(stream []byte) (m map[interface{}]interface{}, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	err = gob.NewDecoder(bytes.NewReader(stream)).Decode(&m)
	return m, err
}

// canon returns v with what Entries makes of each built-in value: a slice
// or array as []interface{} (nil if empty), a map keyed by
// strings, int64s, uint64s or interface{} values, a time as its text.
// Values of named types and basic values stay as they are.
func canon(v any) any {
	if v == nil {
		return nil
	}
	if t, ok := v.(time.Time); ok {
		return t.Format(time.RFC3339Nano)
	}
	rv := reflect.ValueOf(v)
	if rv.Type().Name() != "" && rv.Kind() != reflect.Interface {
		return v // a basic or a named type
	}
	switch rv.Kind() {
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			if rv.Len() == 0 {
				return []byte(nil)
			}
			return v
		}
		fallthrough
	case reflect.Array:
		if rv.Len() == 0 {
			return []any(nil) // TestEntriesTypes tells an empty array from an empty slice
		}
		l := make([]any, rv.Len())
		for i := range l {
			l[i] = canon(rv.Index(i).Interface())
		}
		return l
	case reflect.Map:
		m := make(map[any]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			m[canonKey(it.Key().Interface())] = canon(it.Value().Interface())
		}
		return m
	}
	return v // a pointer to a named type
}

// canonKey makes integer keys int64 or uint64, as Entries does in maps
// keyed by integers.
func canonKey(k any) any {
	switch v := reflect.ValueOf(k); {
	case v.CanInt():
		return v.Int()
	case v.CanUint():
		return v.Uint()
	}
	return k
}

// checkEntries reports whether entries hold, with no error, exactly the
// keys and values of want, as canon makes them.
func checkEntries(t *testing.T, entries []Entry, want map[interface{}]interface{}) {
	t.Helper()
	if len(entries) != len(want) {
		t.Errorf("got %d entries, want %d", len(entries), len(want))
	}
	for _, e := range entries {
		if e.KeyErr != nil || e.ValueErr != nil {
			t.Errorf("key %v: got errors %v, %v; want none", e.Key, e.KeyErr, e.ValueErr)
			continue
		}
		w, ok := want[e.Key]
		if got, w := canon(e.Value), canon(w); !ok || !reflect.DeepEqual(got, w) {
			t.Errorf("key %#v: got %#v, want %#v (present: %v)", e.Key, got, w, ok)
		}
	}
}

// TestNoBuiltinRegistered guards the premise of these tests: this process
// has not registered the built-in types that the samples hold.
func TestNoBuiltinRegistered(t *testing.T) {
	for _, v := range []any{[]interface{}{}, map[string]interface{}{}, time.Time{}} {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(map[interface{}]interface{}{"v": v}); err == nil {
			t.Errorf("%T is registered with gob in this process", v)
		}
	}
}

func TestEntriesMatchValues(t *testing.T) {
	for name, m := range samples() {
		if strings.HasPrefix(name, "deep") || slices.Contains(failAloneNames, name) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			entries, err := Entries(stream(t, name))
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			checkEntries(t, entries, m)
		})
	}
}

// TestEntriesTypes checks the Go types of decoded built-in values, which
// decide how they marshal to JSON.
func TestEntriesTypes(t *testing.T) {
	tests := []struct {
		sample, key string
		want        any
	}{
		{"floats and bools", "f32", float32(0.1)},
		{"ints", "int8", int8(-128)},
		{"ints", "uintptr", uintptr(9)},
		{"slices", "strings", []any{"a", "b"}},
		{"slices", "floats", []any{float32(0.1)}},
		{"slices", "empty", []any(nil)},
		{"bytes", "none", []byte(nil)},
		{"arrays", "bytes", []any{uint8(1), uint8(2), uint8(3), uint8(4)}},
		{"arrays", "none", []any{}},
		{"typed maps", "small", map[int64]any{-1: "x"}},
		{"typed maps", "flags", map[uint64]any{3: true}},
		{"typed maps", "empty", map[string]any{}},
		{"interface map", "m", map[any]any{"a": map[any]any{"b": 1}, 2: "two"}},
		{"time", "created", when},
	}
	for _, tt := range tests {
		t.Run(tt.sample+"/"+tt.key, func(t *testing.T) {
			entries, err := Entries(stream(t, tt.sample))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Key == tt.key {
					if !reflect.DeepEqual(e.Value, tt.want) || e.ValueErr != nil {
						t.Errorf("got %#v, %v; want %#v", e.Value, e.ValueErr, tt.want)
					}
					return
				}
			}
			t.Errorf("no key %q", tt.key)
		})
	}
}

// TestEntriesNames checks the gob names that entries report.
func TestEntriesNames(t *testing.T) {
	entries, err := Entries(stream(t, "nested"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("got %d entries, %v; want 1", len(entries), err)
	}
	if e := entries[0]; e.KeyName != "string" || e.ValueName != "[]interface {}" {
		t.Errorf("got names %q, %q; want string, []interface {}", e.KeyName, e.ValueName)
	}
	entries, err = Entries(stream(t, "nil"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if (e.Key == nil) != (e.KeyName == "") || (e.Value == nil) != (e.ValueName == "") {
			t.Errorf("got %#v, want an empty name for nil alone", e)
		}
	}
}

// TestEntriesStreamOrder checks that entries come in the order the
// stream has them, which is the order of their keys' bytes.
func TestEntriesStreamOrder(t *testing.T) {
	s := stream(t, "many")
	entries, err := Entries(s)
	if err != nil {
		t.Fatal(err)
	}
	last := -1
	for i, e := range entries {
		at := bytes.Index(s, []byte(e.Key.(string)))
		if at <= last {
			t.Fatalf("entry %d, %q, is at byte %d of the stream, not after the one before at %d", i, e.Key, at, last)
		}
		last = at
	}
}

// TestEntriesSharedTypes covers types defined once and used by later
// entries: at the top of the stream or inline inside an earlier entry's
// value, and used again at the top or nested.
func TestEntriesSharedTypes(t *testing.T) {
	for _, order := range sharedOrders {
		name := "shared " + strings.Join(order, ",")
		t.Run(name, func(t *testing.T) {
			entries, err := Entries(stream(t, name))
			if err != nil {
				t.Fatal(err)
			}
			checkEntries(t, entries, sharedSample())
		})
	}
}
