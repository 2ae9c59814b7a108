package gobmap

import (
	"errors"
	"reflect"
	"testing"
)

// checkInvariants checks what Entries promises for any stream: an error
// matching ErrStream and no entries, or entries whose errors are
// *ValueError with nil in their place; and, where encoding/gob decodes the
// whole map in this process, and twice alike (no NaN), the same keys and
// values.
func checkInvariants(t *testing.T, stream []byte) {
	t.Helper()
	entries := checkErrors(t, stream)
	if entries == nil {
		return
	}
	want, werr := gobDecodeMap(stream)
	again, _ := gobDecodeMap(stream)
	if werr != nil || !reflect.DeepEqual(canon(want), canon(again)) {
		return
	}
	got := make(map[interface{}]interface{})
	for _, e := range entries {
		if e.KeyErr != nil || e.ValueErr != nil {
			t.Fatalf("key %v: got errors %v, %v; want none, as gob decodes the whole map", e.Key, e.KeyErr, e.ValueErr)
		}
		if e.Key != nil && !reflect.ValueOf(e.Key).Comparable() {
			return
		}
		got[e.Key] = e.Value
	}
	if !reflect.DeepEqual(canon(got), canon(want)) {
		t.Fatalf("got %#v, want %#v", canon(got), canon(want))
	}
}

// checkErrors checks the errors of Entries: an error matching ErrStream
// and no entries, or entries whose errors are *ValueError with nil in
// their place, which it returns.
func checkErrors(t *testing.T, stream []byte) []Entry {
	t.Helper()
	entries, err := Entries(stream)
	if err != nil {
		if !errors.Is(err, ErrStream) || entries != nil {
			t.Fatalf("got %d entries, error %v; want none, ErrStream", len(entries), err)
		}
		return nil
	}
	var ve *ValueError
	for _, e := range entries {
		if e.KeyErr != nil && (e.Key != nil || !errors.As(e.KeyErr, &ve)) ||
			e.ValueErr != nil && (e.Value != nil || !errors.As(e.ValueErr, &ve)) {
			t.Fatalf("got %#v, want a *ValueError with nil in its place", e)
		}
	}
	return entries
}

func FuzzEntries(f *testing.F) {
	seeds := 0
	for _, s := range streams(f) {
		f.Add(s)
		seeds++
	}
	for _, s := range otherStreams(f) {
		f.Add(s)
		seeds++
	}
	if seeds < 40 {
		f.Fatalf("got %d seeds, want the samples and the other streams", seeds)
	}
	f.Fuzz(checkInvariants)
}

// BenchmarkEntries splits a typical gorilla session, against gob's
// decoding of the whole map where it can (with no time or flash, which
// this process has not registered).
func BenchmarkEntries(b *testing.B) {
	decoders := []struct {
		name, sample string
		decode       func([]byte) error
	}{
		{"entries", "session", func(s []byte) error { _, err := Entries(s); return err }},
		{"entries-basics", "session basics", func(s []byte) error { _, err := Entries(s); return err }},
		{"whole-map-basics", "session basics", func(s []byte) error { _, err := gobDecodeMap(s); return err }},
	}
	for _, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			s := stream(b, d.sample)
			b.ReportAllocs()
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				if err := d.decode(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
