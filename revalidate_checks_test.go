package cookiesession

import (
	"encoding/binary"
	"net/http"
	"testing"
	"time"
)

func testKey(i int) flightKey {
	var k flightKey
	binary.BigEndian.PutUint32(k[:], uint32(i))
	return k
}

// TestChecksBounded checks the bounds on what a Manager remembers of its
// checks: entries, bytes of session data, and time; and that a check that
// finds only running ones runs alone.
func TestChecksBounded(t *testing.T) {
	now := time.Now()
	t.Run("entries", func(t *testing.T) {
		cs := newChecks(&Config{RevalidateEvery: time.Minute})
		for i := range 3 * maxFlights {
			f, run := cs.join(testKey(i), now)
			if !run {
				t.Fatalf("check %d: got a running or remembered one, want a new one", i)
			}
			cs.finish(f, verdict{shared: true})
		}
		if len(cs.m) != maxFlights || len(cs.done) != maxFlights {
			t.Errorf("got %d tracked and %d remembered, want %d", len(cs.m), len(cs.done), maxFlights)
		}
		if _, run := cs.join(testKey(3*maxFlights-1), now); run {
			t.Error("the newest verdict: got forgotten, want remembered")
		}
		if _, run := cs.join(testKey(0), now); !run {
			t.Error("the oldest verdict: got remembered, want forgotten")
		}
	})
	t.Run("bytes", func(t *testing.T) {
		cs := newChecks(&Config{RevalidateEvery: time.Minute})
		for i := range maxFlights {
			f, _ := cs.join(testKey(i), now)
			cs.finish(f, verdict{shared: true, state: checked{size: 4000}})
		}
		if cs.bytes > maxRememberedBytes || len(cs.done) != maxRememberedBytes/(4000+verdictOverhead) {
			t.Errorf("got %d bytes in %d verdicts, want at most %d bytes, as many verdicts as fit", cs.bytes, len(cs.done), maxRememberedBytes)
		}
	})
	t.Run("time", func(t *testing.T) {
		cs := newChecks(&Config{RevalidateEvery: time.Minute})
		for i := range 10 {
			f, _ := cs.join(testKey(i), now)
			cs.finish(f, verdict{shared: true})
		}
		cs.join(testKey(10), time.Now().Add(flightGrace))
		if len(cs.m) != 1 || len(cs.done) != 0 || cs.bytes != 0 {
			t.Errorf("after the grace period: got %d tracked, %d remembered, %d bytes; want the new check only", len(cs.m), len(cs.done), cs.bytes)
		}
	})
	t.Run("running", func(t *testing.T) {
		cs := newChecks(&Config{RevalidateEvery: time.Minute})
		for i := range maxFlights {
			cs.join(testKey(i), now)
		}
		if f, run := cs.join(testKey(maxFlights), now); f != nil || run {
			t.Errorf("with %d checks running: got %v, %v; want none, to check alone", maxFlights, f, run)
		}
	})
}

// TestChecksOnlyWithRevalidate checks that a Manager without Revalidate
// keeps nothing for it.
func TestChecksOnlyWithRevalidate(t *testing.T) {
	ring, err := NewKeyRing(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg  Config
		want bool
	}{
		{Config{}, false},
		{Config{Revalidate: func(*http.Request, *Session) error { return nil }}, true},
	} {
		m, err := New(ring, tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.checks != nil; got != tc.want {
			t.Errorf("Revalidate set %v: got checks %v, want %v", tc.cfg.Revalidate != nil, got, tc.want)
		}
	}
}
