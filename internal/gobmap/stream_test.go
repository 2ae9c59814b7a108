package gobmap

import (
	"bytes"
	"encoding/gob"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// mapDef defines type id 64 as map[interface{}]interface{}, and emptyMap
// is an empty map of that type.
var (
	mapDef   = []byte{13, 0x7f, 4, 1, 2, 0xff, 0x80, 0, 1, 0x10, 1, 0x10, 0, 0}
	emptyMap = []byte{4, 0xff, 0x80, 0, 0}
)

// otherStreams are gob streams of values other than one
// map[interface{}]interface{}.
func otherStreams(tb testing.TB) map[string][]byte {
	flash := stream(tb, "flashes")
	var twice bytes.Buffer
	enc := gob.NewEncoder(&twice)
	for range 2 {
		if err := enc.Encode(map[interface{}]interface{}{"a": 1}); err != nil {
			tb.Fatal(err)
		}
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	return map[string][]byte{
		"nothing":                nil,
		"empty message":          {0},
		"struct":                 gobEncode(tb, gobUser{ID: 1}),
		"map[string]string":      gobEncode(tb, map[string]string{"a": "b"}),
		"map[string]interface{}": gobEncode(tb, map[string]interface{}{"a": "b"}),
		"map[interface{}]string": gobEncode(tb, map[interface{}]string{"a": "b"}),
		"string":                 gobEncode(tb, "a"),
		"[]interface{}":          gobEncode(tb, []interface{}{"a"}),
		"trailing byte":          cat(flash, []byte{0}),
		"trailing message":       cat(flash, []byte{3, 4, 0, 2}),
		"two maps":               twice.Bytes(),
		"undefined type":         emptyMap,
		"type defined twice":     cat(mapDef, mapDef, emptyMap),
		"type id below 64":       cat([]byte{13, 0x7d}, mapDef[2:], []byte{4, 0x7e, 0, 0}),
		"data after definition":  cat([]byte{14}, mapDef[1:], []byte{0}, emptyMap),
		"no kind":                cat([]byte{2, 0x7f, 0}, emptyMap),
		"two kinds":              cat([]byte{22, 0x7f, 1, 1, 2, 0xff, 0x80, 0, 1, 0x10, 0, 3}, mapDef[3:], emptyMap),
		"no singleton mark":      cat(mapDef, []byte{4, 0xff, 0x80, 1, 0}),
		"count beyond stream":    cat(mapDef, []byte{4, 0xff, 0x80, 0, 0x7f}),
		"message beyond stream":  cat(mapDef, []byte{5, 0xff, 0x80, 0, 0}),
		"nine-byte count":        cat(mapDef, []byte{13, 0xff, 0x80, 0, 0xf7, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
		"trailing in message":    cat(mapDef, []byte{5, 0xff, 0x80, 0, 0, 0}),
		"nested 600 deep":        stream(tb, "deep"),
	}
}

func TestEntriesNotAMap(t *testing.T) {
	if entries, err := Entries(bytes.Join([][]byte{mapDef, emptyMap}, nil)); err != nil || len(entries) != 0 {
		t.Fatalf("empty map by hand: got %d entries, error %v; want none", len(entries), err)
	}
	for name, s := range otherStreams(t) {
		t.Run(name, func(t *testing.T) {
			entries, err := Entries(s)
			if !errors.Is(err, ErrStream) || entries != nil {
				t.Errorf("got %d entries, error %v; want none, ErrStream", len(entries), err)
			}
		})
	}
}

// TestEntriesDamaged truncates a stream at every byte and flips every
// bit of it: each must give an error or entries, never a panic.
func TestEntriesDamaged(t *testing.T) {
	s := stream(t, "damaged")
	for n := range len(s) {
		if entries, err := Entries(s[:n:n]); !errors.Is(err, ErrStream) || entries != nil {
			t.Errorf("first %d bytes: got %d entries, error %v; want none, ErrStream", n, len(entries), err)
		}
	}
	flipped := make([]byte, len(s))
	for i := range len(s) * 8 {
		copy(flipped, s)
		flipped[i/8] ^= 1 << (i % 8)
		checkErrors(t, flipped)
	}
}

// gobInt appends i as gob writes a signed integer.
func gobInt(b []byte, i int64) []byte {
	u := uint64(i) << 1
	if i < 0 {
		u = uint64(^i)<<1 | 1
	}
	return appendUint(b, u)
}

// TestEntriesClaimedCounts checks that what a stream claims costs no more
// memory than what it holds: slices nested 300 deep each claim 2000
// elements, of which the stream holds a few.
func TestEntriesClaimedCounts(t *testing.T) {
	const depth, claim = 300, 2000
	s := append([]byte{}, mapDef...)
	for i := range int64(depth) {
		elem := 65 + i + 1
		if i == depth-1 {
			elem = gobIntID
		}
		def := gobInt(nil, -(65 + i))
		def = append(def, 2, 1, 2)
		def = gobInt(def, 65+i)
		def = append(def, 0, 1)
		def = gobInt(def, elem)
		def = append(def, 0, 0)
		s = append(appendUint(s, uint64(len(def))), def...)
	}
	msg := gobInt(nil, 64)
	msg = append(msg, 0, 1, 6)
	msg = append(msg, "string"...)
	msg = append(gobInt(msg, gobStringID), 2, 0, 1, 'k')
	name := strings.Repeat("[]", depth) + "int"
	msg = append(appendUint(msg, uint64(len(name))), name...)
	msg = append(gobInt(msg, 65), 1, 0)
	for range depth {
		msg = appendUint(msg, claim)
	}
	msg = append(msg, make([]byte, claim+100)...)
	s = append(appendUint(s, uint64(len(msg))), msg...)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	entries, err := Entries(s)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrStream) || entries != nil {
		t.Errorf("got %d entries, %v; want ErrStream", len(entries), err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("decoding a stream of %d bytes allocated %d bytes, want at most 1 MiB", len(s), n)
	}
}
