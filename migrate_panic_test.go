package cookiesession_test

import (
	"encoding/gob"
	"encoding/json"
	"slices"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// legacyBadge is a type of the old program whose MarshalJSON, written for
// the values the new program makes, panics on one the old program saved:
// Level nil.
type legacyBadge struct{ Level *int }

func (b legacyBadge) MarshalJSON() ([]byte, error) { return json.Marshal(*b.Level) }

func init() { gob.RegisterName("main.Badge", legacyBadge{}) }

// TestMigratePanickingMarshalJSON checks that a legacy value whose
// MarshalJSON panics is dropped as one that JSON cannot represent, as a
// panic in its gob decoding is: the request goes on, the other values
// migrate, and OnInvalid names the value without its content.
func TestMigratePanickingMarshalJSON(t *testing.T) {
	mg := newMigration(t, cookiesession.GorillaCookie{})
	cookie := mg.mint(t, map[interface{}]interface{}{"badge": legacyBadge{}, "user": "alice"})
	var got seen
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		serve(look(mg.m, &got), cookie)
	}()
	if recovered != nil {
		t.Fatalf("serving a legacy cookie: got a panic %v, want the value dropped", recovered)
	}
	if len(got.values) != 1 || got.values["user"] != `"alice"` {
		t.Errorf("got values %v, want only user=\"alice\"", got.values)
	}
	want := []string{`"badge": its MarshalJSON panicked`}
	if me := migrationError(t, mg.log); me == nil || !slices.Equal(me.Dropped, want) {
		t.Errorf("OnInvalid got %v, want a MigrationError dropping %q", me, want)
	}
}
