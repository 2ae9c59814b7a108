package cookiesession

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Types that sessions store, registered with gob as an application on
// gorilla/sessions registers them.
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
	gobHiddenName  = "cookiesession.gobHidden"
	gobUnknownName = "cookiesession.gobUnknwn" // as long as gobHiddenName, registered nowhere
	gobNumberName  = "cookiesession.gobNumber"
	gobWordName    = "cookiesession.gobWordxx" // as long as gobNumberName
)

func init() {
	gob.Register([]interface{}(nil))
	gob.Register(map[string]interface{}(nil))
	gob.Register(time.Time{})
	gob.Register(gobUser{})
	gob.Register(&gobCart{})
	gob.Register(gobItem{})
	gob.Register(gobPanics{})
	gob.Register(gobBinary{})
	gob.Register(&gobNode{})
	gob.Register([3]int{})
	gob.RegisterName(gobHiddenName, gobHidden{})
	gob.RegisterName(gobNumberName, gobNumber{})
	gob.RegisterName(gobWordName, gobWord{})
}

// gobSamples are maps as gorilla/sessions stores them, by name.
func gobSamples() map[string]map[interface{}]interface{} {
	many := make(map[interface{}]interface{})
	for i := range 100 {
		many[fmt.Sprintf("key-%03d", i)] = i * i
	}
	user := gobUser{ID: 7, Name: "alice", Roles: []string{"admin"}, Extra: 1.5}
	return map[string]map[interface{}]interface{}{
		"strings": {"user": "alice", "empty": "", "long": strings.Repeat("x", 300)},
		"ints": {"int": 42, "neg": -1, "int8": int8(-128), "int16": int16(300), "int32": int32(-70000),
			"int64": int64(1) << 62, "uint": uint(7), "uint8": uint8(255), "uint64": uint64(1) << 63},
		"floats and bools": {"f": 3.25, "f32": float32(0.5), "c": complex(1, -2), "t": true, "f0": false},
		"bytes":            {"b": []byte{0, 1, 0xff}, "none": []byte{}},
		"flashes":          {"_flash": []interface{}{"saved", "welcome"}, "errors": []interface{}{"bad"}},
		"map value":        {"prefs": map[string]interface{}{"theme": "dark", "size": 12, "tags": []interface{}{"a"}}},
		"time":             {"created": time.Date(2024, 5, 1, 12, 30, 0, 7, time.UTC), "zoned": time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("X", 3600))},
		"struct":           {"user": user},
		"pointer":          {"cart": &gobCart{Items: []gobItem{{"a-1", 2}, {"b-2", 1}}}},
		"marshalers":       {"bin": gobBinary{7}},
		"recursive":        {"list": &gobNode{V: 1, Next: &gobNode{V: 2, Tags: [2]string{"a", "b"}, Seen: map[string]bool{"x": true}}}},
		"array":            {"a": [3]int{1, 2, 3}},
		"nested":           {"list": []interface{}{user, "x", []interface{}{gobUser{ID: 8, Extra: "y"}}}},
		"int keys":         {1: "one", -2: "minus two", int64(3): "three", 2.5: "float", true: "bool"},
		"nil":              {"nil": nil, nil: "nil key"},
		"empty":            {},
		"many":             many,
	}
}

func gobEncode(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatalf("encoding %T: %v", v, err)
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

// checkEntries reports whether entries hold, with no error, exactly the
// keys and values of want.
func checkEntries(t *testing.T, entries []gobEntry, want map[interface{}]interface{}) {
	t.Helper()
	if len(entries) != len(want) {
		t.Errorf("got %d entries, want %d", len(entries), len(want))
	}
	for _, e := range entries {
		if e.keyErr != nil || e.valueErr != nil {
			t.Errorf("key %v: got errors %v, %v; want none", e.key, e.keyErr, e.valueErr)
			continue
		}
		if w, ok := want[e.key]; !ok || !reflect.DeepEqual(e.value, w) {
			t.Errorf("key %#v: got %#v, want %#v (present: %v)", e.key, e.value, w, ok)
		}
	}
}

func TestGobMapEntriesMatchWholeDecode(t *testing.T) {
	for name, m := range gobSamples() {
		t.Run(name, func(t *testing.T) {
			stream := gobEncode(t, m)
			want, err := gobDecodeMap(stream)
			if err != nil {
				t.Fatalf("whole decode: %v", err)
			}
			entries, err := gobMapEntries(stream)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			checkEntries(t, entries, want)
		})
	}
}

// TestGobMapEntriesStreamOrder checks that entries come in the order the
// stream has them, which is the order of their keys' bytes.
func TestGobMapEntriesStreamOrder(t *testing.T) {
	stream := gobEncode(t, gobSamples()["many"])
	entries, err := gobMapEntries(stream)
	if err != nil {
		t.Fatal(err)
	}
	last := -1
	for i, e := range entries {
		at := bytes.Index(stream, []byte(e.key.(string)))
		if at <= last {
			t.Fatalf("entry %d, %q, is at byte %d of the stream, not after the one before at %d", i, e.key, at, last)
		}
		last = at
	}
}

// encodeInOrder encodes m, whose keys are strings that occur nowhere else in
// the stream, again until the stream has them in the order given.
func encodeInOrder(t *testing.T, m map[interface{}]interface{}, keys ...string) []byte {
	t.Helper()
	for range 100 {
		stream := gobEncode(t, m)
		inOrder := true
		for i := 1; i < len(keys); i++ {
			inOrder = inOrder && bytes.Index(stream, []byte(keys[i-1])) < bytes.Index(stream, []byte(keys[i]))
		}
		if inOrder {
			return stream
		}
	}
	t.Fatalf("gob never wrote keys %q in that order", keys)
	return nil
}

// TestGobMapEntriesSharedTypes covers types defined once and used by later
// entries: at the top of the stream or inline inside an earlier entry's
// value, and used again at the top or nested.
func TestGobMapEntriesSharedTypes(t *testing.T) {
	u := gobUser{ID: 1, Name: "a", Extra: gobItem{"i", 1}}
	m := map[interface{}]interface{}{
		"k-nested": []interface{}{u, map[string]interface{}{"v": &gobCart{}}},
		"k-top":    u,
		"k-cart":   &gobCart{Items: []gobItem{{"x", 3}}},
	}
	for _, order := range [][]string{{"k-nested", "k-top", "k-cart"}, {"k-top", "k-cart", "k-nested"}} {
		t.Run(strings.Join(order, ","), func(t *testing.T) {
			stream := encodeInOrder(t, m, order...)
			entries, err := gobMapEntries(stream)
			if err != nil {
				t.Fatal(err)
			}
			want, err := gobDecodeMap(stream)
			if err != nil {
				t.Fatal(err)
			}
			checkEntries(t, entries, want)
		})
	}
}

// TestGobMapEntriesFailAlone gives each map one key or value that cannot be
// decoded, among values whose types it shares, and expects an error for it
// alone.
func TestGobMapEntriesFailAlone(t *testing.T) {
	good := map[interface{}]interface{}{
		"user":   gobUser{ID: 1, Extra: []interface{}{gobItem{"s", 1}}},
		"flash":  []interface{}{"hi", gobUser{ID: 2}},
		"number": 4,
		5:        "five",
	}
	tests := []struct {
		name       string
		key, value interface{}
		old, new   string // a type name the stream's bytes get instead of old
		want       error  // matched with errors.Is; nil for any error
	}{
		{name: "unregistered value", key: "bad", value: gobHidden{"h"}, old: gobHiddenName, new: gobUnknownName},
		{name: "unregistered nested", key: "bad", value: []interface{}{"a", gobHidden{"h"}}, old: gobHiddenName, new: gobUnknownName},
		{name: "unregistered in struct", key: "bad", value: gobUser{Extra: gobHidden{"h"}}, old: gobHiddenName, new: gobUnknownName},
		{name: "unregistered key", key: gobHidden{"k"}, value: "v", old: gobHiddenName, new: gobUnknownName},
		{name: "mismatched type", key: "bad", value: gobNumber{3}, old: gobNumberName, new: gobWordName},
		{name: "panicking GobDecode", key: "bad", value: gobPanics{}, want: errGobPanic},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := map[interface{}]interface{}{tc.key: tc.value}
			for k, v := range good {
				m[k] = v
			}
			stream := gobEncode(t, m)
			if tc.old != "" {
				stream = bytes.ReplaceAll(stream, []byte(tc.old), []byte(tc.new))
			}
			if _, err := gobDecodeMap(stream); err == nil {
				t.Fatal("whole decode: got no error, want one")
			}
			entries, err := gobMapEntries(stream)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			var rest []gobEntry
			for _, e := range entries {
				bad := e.keyErr
				if bad == nil && e.key == tc.key {
					bad = e.valueErr
				}
				if bad == nil {
					rest = append(rest, e)
					continue
				}
				if e.key != nil && e.keyErr != nil || e.value != nil && e.valueErr != nil {
					t.Errorf("got %#v with its error, want nil", e)
				}
				if tc.want != nil && !errors.Is(bad, tc.want) || bad == nil {
					t.Errorf("got error %v, want %v", bad, tc.want)
				}
			}
			if len(rest) != len(good) {
				t.Errorf("got %d entries without error, want %d", len(rest), len(good))
			}
			checkEntries(t, rest, good)
		})
	}
}

// gobMapDef defines type id 64 as map[interface{}]interface{}, and
// gobEmptyMap is an empty map of that type.
var (
	gobMapDef   = []byte{13, 0x7f, 4, 1, 2, 0xff, 0x80, 0, 1, 0x10, 1, 0x10, 0, 0}
	gobEmptyMap = []byte{4, 0xff, 0x80, 0, 0}
)

// gobOtherStreams are gob streams of values other than one
// map[interface{}]interface{}.
func gobOtherStreams(t testing.TB) map[string][]byte {
	flash := gobEncode(t, map[interface{}]interface{}{"_flash": []interface{}{"a"}})
	var twice bytes.Buffer
	enc := gob.NewEncoder(&twice)
	for range 2 {
		if err := enc.Encode(map[interface{}]interface{}{"a": 1}); err != nil {
			t.Fatal(err)
		}
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	return map[string][]byte{
		"nothing":                nil,
		"empty message":          {0},
		"struct":                 gobEncode(t, gobUser{ID: 1}),
		"map[string]string":      gobEncode(t, map[string]string{"a": "b"}),
		"map[string]interface{}": gobEncode(t, map[string]interface{}{"a": "b"}),
		"map[interface{}]string": gobEncode(t, map[interface{}]string{"a": "b"}),
		"string":                 gobEncode(t, "a"),
		"[]interface{}":          gobEncode(t, []interface{}{"a"}),
		"trailing byte":          cat(flash, []byte{0}),
		"trailing message":       cat(flash, []byte{3, 4, 0, 2}),
		"two maps":               twice.Bytes(),
		"undefined type":         gobEmptyMap,
		"type defined twice":     cat(gobMapDef, gobMapDef, gobEmptyMap),
		"type id below 64":       cat([]byte{13, 0x7d}, gobMapDef[2:], []byte{4, 0x7e, 0, 0}),
		"data after definition":  cat([]byte{14}, gobMapDef[1:], []byte{0}, gobEmptyMap),
		"no kind":                cat([]byte{2, 0x7f, 0}, gobEmptyMap),
		"two kinds":              cat([]byte{22, 0x7f, 1, 1, 2, 0xff, 0x80, 0, 1, 0x10, 0, 3}, gobMapDef[3:], gobEmptyMap),
		"no singleton mark":      cat(gobMapDef, []byte{4, 0xff, 0x80, 1, 0}),
		"count beyond stream":    cat(gobMapDef, []byte{4, 0xff, 0x80, 0, 0x7f}),
		"message beyond stream":  cat(gobMapDef, []byte{5, 0xff, 0x80, 0, 0}),
		"nine-byte count":        cat(gobMapDef, []byte{13, 0xff, 0x80, 0, 0xf7, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
		"trailing in message":    cat(gobMapDef, []byte{5, 0xff, 0x80, 0, 0, 0}),
	}
}

func TestGobMapEntriesNotAMap(t *testing.T) {
	if entries, err := gobMapEntries(bytes.Join([][]byte{gobMapDef, gobEmptyMap}, nil)); err != nil || len(entries) != 0 {
		t.Fatalf("empty map by hand: got %d entries, error %v; want none", len(entries), err)
	}
	for name, stream := range gobOtherStreams(t) {
		t.Run(name, func(t *testing.T) {
			entries, err := gobMapEntries(stream)
			if !errors.Is(err, errGobMap) || entries != nil {
				t.Errorf("got %d entries, error %v; want none, errGobMap", len(entries), err)
			}
		})
	}
}

func TestGobMapEntriesNesting(t *testing.T) {
	var deep interface{} = "bottom"
	for range 600 {
		deep = []interface{}{deep}
	}
	if _, err := gobMapEntries(gobEncode(t, map[interface{}]interface{}{"deep": deep})); !errors.Is(err, errGobMap) {
		t.Errorf("600 levels: got %v, want errGobMap", err)
	}
	shallow := map[interface{}]interface{}{"v": []interface{}{[]interface{}{[]interface{}{"x"}}}}
	stream := gobEncode(t, shallow)
	entries, err := gobMapEntries(stream)
	if err != nil {
		t.Fatalf("3 levels: got %v, want none", err)
	}
	checkEntries(t, entries, shallow)
}

// TestGobMapEntriesDamaged truncates a stream at every byte and flips every
// bit of it: each must give an error or entries, never a panic.
func TestGobMapEntriesDamaged(t *testing.T) {
	stream := gobEncode(t, map[interface{}]interface{}{
		"user": gobUser{ID: 1, Roles: []string{"r"}, Extra: []interface{}{gobItem{"s", 1}}},
		"cart": &gobCart{Items: []gobItem{{"a", 1}}}, "n": 3, "when": time.Unix(1e9, 0),
		"flash": []interface{}{"hi"}, "prefs": map[string]interface{}{"a": 1.5},
	})
	for n := range len(stream) {
		if entries, err := gobMapEntries(stream[:n:n]); !errors.Is(err, errGobMap) || entries != nil {
			t.Errorf("first %d bytes: got %d entries, error %v; want none, errGobMap", n, len(entries), err)
		}
	}
	flipped := make([]byte, len(stream))
	for i := range len(stream) * 8 {
		copy(flipped, stream)
		flipped[i/8] ^= 1 << (i % 8)
		if _, err := gobMapEntries(flipped); err != nil && !errors.Is(err, errGobMap) {
			t.Errorf("bit %d flipped: got error %v, want errGobMap", i, err)
		}
	}
}

func FuzzGobMapEntries(f *testing.F) {
	seeds := 0
	for _, m := range gobSamples() {
		f.Add(gobEncode(f, m))
		seeds++
	}
	for _, s := range gobOtherStreams(f) {
		f.Add(s)
		seeds++
	}
	if seeds == 0 {
		f.Fatal("no seeds")
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		entries, err := gobMapEntries(stream)
		if err != nil {
			if !errors.Is(err, errGobMap) || entries != nil {
				t.Fatalf("got %d entries, error %v; want none, errGobMap", len(entries), err)
			}
			return
		}
		for _, e := range entries {
			if e.key != nil && e.keyErr != nil || e.value != nil && e.valueErr != nil {
				t.Fatalf("got %#v with its error, want nil", e)
			}
		}
		// Where gob decodes the whole map, and twice alike (no NaN), each
		// entry must decode to what it has.
		want, werr := gobDecodeMap(stream)
		again, _ := gobDecodeMap(stream)
		if werr == nil && reflect.DeepEqual(want, again) {
			got := make(map[interface{}]interface{})
			for _, e := range entries {
				if e.keyErr != nil || e.valueErr != nil {
					t.Fatalf("key %v: got errors %v, %v; want none", e.key, e.keyErr, e.valueErr)
				}
				got[e.key] = e.value
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %#v, want %#v", got, want)
			}
		}
	})
}

// BenchmarkGobMapEntries splits a typical gorilla session of six values,
// against gob's decoding of the whole map.
func BenchmarkGobMapEntries(b *testing.B) {
	stream := gobEncode(b, map[interface{}]interface{}{
		"user_id":       int64(48213),
		"username":      "alice@example.com",
		"authenticated": true,
		"created":       time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC),
		"csrf":          "q3Jp0xv8T1a9sM2bK7wYfD4eL6nH5cRz",
		"_flash":        []interface{}{"Profile saved."},
	})
	decoders := []struct {
		name   string
		decode func([]byte) error
	}{
		{"entries", func(s []byte) error { _, err := gobMapEntries(s); return err }},
		{"whole-map", func(s []byte) error { _, err := gobDecodeMap(s); return err }},
	}
	for _, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(stream)))
			for b.Loop() {
				if err := d.decode(stream); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
