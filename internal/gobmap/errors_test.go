package gobmap

import (
	"bytes"
	"errors"
	"testing"
)

var failAloneNames []string

func init() {
	for _, tc := range failAloneTests {
		failAloneNames = append(failAloneNames, tc.name)
	}
}

// failAloneTests each give a map one key or value that cannot be decoded,
// among values whose types it shares.
var failAloneTests = []struct {
	name     string
	old, new string // a type name the stream's bytes get instead of old
	want     error  // matched with errors.Is
	wantName string // the gob name the error gives
}{
	{"unregistered value", gobHiddenName, gobUnknownName, ErrUnregistered, gobUnknownName},
	{"unregistered nested", gobHiddenName, gobUnknownName, ErrUnregistered, gobUnknownName},
	{"unregistered in struct", gobHiddenName, gobUnknownName, ErrUnregistered, gobUnknownName},
	{"unregistered key", gobHiddenName, gobUnknownName, ErrUnregistered, gobUnknownName},
	{"built-in in a struct field", "", "", ErrUnregistered, "[]interface {}"},
	{"mismatched type", gobNumberName, gobWordName, ErrGob, gobWordName},
	{"panicking GobDecode", "", "", ErrPanic, "github.com/cookiesession/cookiesession/internal/gobmap.gobPanics"},
	{"int as uint8", "int16", "uint8", ErrMismatch, "uint8"},
	{"int32 out of int16", "int32", "int16", ErrMismatch, "int16"},
	{"array of another length", "[3]int", "[4]int", ErrMismatch, "[4]int"},
	{"array as a map key", "", "", ErrUnhashable, "map[interface {}]interface {}"},
}

func TestEntriesFailAlone(t *testing.T) {
	for _, tc := range failAloneTests {
		t.Run(tc.name, func(t *testing.T) {
			s := stream(t, tc.name)
			if tc.old != "" {
				s = bytes.ReplaceAll(s, []byte(tc.old), []byte(tc.new))
			}
			entries, err := Entries(s)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			var rest []Entry
			failed := 0
			for _, e := range entries {
				bad := cmpOr(e.KeyErr, e.ValueErr)
				if bad == nil {
					rest = append(rest, e)
					continue
				}
				failed++
				var ve *ValueError
				if !errors.Is(bad, tc.want) || !errors.As(bad, &ve) || ve.Name != tc.wantName {
					t.Errorf("got error %v, want %v naming %q", bad, tc.want, tc.wantName)
				}
				if e.KeyErr != nil && e.Key != nil || e.ValueErr != nil && e.Value != nil {
					t.Errorf("got %#v with its error, want nil", e)
				}
			}
			if failed != 1 {
				t.Errorf("got %d entries with an error, want 1", failed)
			}
			checkEntries(t, rest, goodValues())
		})
	}
}

func cmpOr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
