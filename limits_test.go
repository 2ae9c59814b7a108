package cookiesession

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// budgetNames are cookie names of many lengths, for the size arithmetic.
var budgetNames = []string{
	"", "s", "ab", "abc", "abcd", sampleName, "__Secure-sid",
	strings.Repeat("n", 100), strings.Repeat("n", 1001), strings.Repeat("n", 3000),
	strings.Repeat("n", 3970), strings.Repeat("n", 3976), strings.Repeat("n", 3977),
	strings.Repeat("n", 4000), strings.Repeat("n", 4096),
}

// TestEncodedLen checks encodedLen against FORMAT.md's formula and real encodings.
func TestEncodedLen(t *testing.T) {
	for n := range 4096 {
		spec := (4*(45+n) + 2) / 3 // ceil(4*(45+n)/3)
		real := len(b64.EncodeToString(make([]byte, sealedMin+n)))
		if got := encodedLen(n); got != spec || got != real {
			t.Fatalf("encodedLen(%d): got %d, want %d (formula) and %d (encoding)", n, got, spec, real)
		}
	}
}

func TestPayloadBudgetFormatExample(t *testing.T) {
	// FORMAT.md: for __Host-session, 3016 bytes of plaintext, 2971 bytes of records.
	if got := PayloadBudget("__Host-session"); got != 2971 {
		t.Errorf("PayloadBudget(__Host-session): got %d, want 2971", got)
	}
	if got := PayloadBudget("__Host-session") + fixedPlain; got != 3016 {
		t.Errorf("largest plaintext for __Host-session: got %d, want 3016", got)
	}
}

// TestPayloadBudget seals records of exactly the budget, and one byte
// more, for names of many lengths.
func TestPayloadBudget(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	for _, name := range budgetNames {
		t.Run(fmt.Sprintf("name of %d bytes", len(name)), func(t *testing.T) {
			budget := PayloadBudget(name)
			// FORMAT.md: floor(3 × (4096 − len(name)) / 4) − 45 bytes of plaintext, 45 of them fixed.
			if want := 3*(MaxCookieSize-len(name))/4 - 45 - 45; budget != want {
				t.Errorf("PayloadBudget: got %d, want %d", budget, want)
			}
			fits := func(records int) (string, error) {
				p := samplePayload(vectorT0)
				p.entries, p.flashes = nil, nil
				if records > 0 {
					// One entry of the given size, counting its 3 bytes of framing and a 1-byte key.
					p.entries = []entry{{key: "k", value: []byte(jsonString(records - entryHeader - 1 - 2))}}
				}
				return c.sealNonce(name, p, c.ring.primary(), testNonce("budget"))
			}
			if budget < entryHeader+1+2 {
				// No room for a record: at most an empty session fits.
				v, err := fits(0)
				if budget >= 0 && err != nil {
					t.Errorf("empty session with budget %d: got %v, want nil", budget, err)
				}
				if budget < 0 && !errors.Is(err, ErrTooLarge) {
					t.Errorf("empty session with budget %d: got %q, %v; want ErrTooLarge", budget, v, err)
				}
				return
			}
			v, err := fits(budget)
			if err != nil {
				t.Fatalf("records of %d bytes: got %v, want nil", budget, err)
			}
			if n := len(name) + len(v); n > MaxCookieSize || n < MaxCookieSize-2 {
				t.Errorf("records of %d bytes: got %d bytes with the name, want 4094 to 4096", budget, n)
			}
			if _, _, err := c.openNew(name, v, time.Unix(vectorT0, 0)); err != nil {
				t.Errorf("records of %d bytes: open: got %v, want nil", budget, err)
			}
			_, err = fits(budget + 1)
			wantTooLarge(t, err, name, len(name)+encodedLen(fixedPlain+budget+1))
		})
	}
}

// TestPayloadBudgetManyRecords spreads the budget over entries and flashes.
func TestPayloadBudgetManyRecords(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	budget := PayloadBudget(sampleName)
	p := samplePayload(vectorT0)
	p.entries, p.flashes = nil, nil
	used := 0
	for i := 0; used+entryHeader+4+2 <= budget; i++ {
		e := entry{key: fmt.Sprintf("k%03d", i), value: []byte(`""`)}
		if i%2 == 0 {
			p.entries = append(p.entries, e)
		} else {
			p.flashes = append(p.flashes, e)
		}
		used += entryHeader + len(e.key) + len(e.value)
	}
	// Top the last flash up to the budget exactly.
	last := &p.flashes[len(p.flashes)-1]
	last.value = []byte(jsonString(budget - used))
	if p.plainLen() != fixedPlain+budget {
		t.Fatalf("plainLen: got %d, want %d", p.plainLen(), fixedPlain+budget)
	}
	v, err := c.sealNonce(sampleName, p, c.ring.primary(), testNonce("many"))
	if err != nil || len(sampleName)+len(v) > MaxCookieSize {
		t.Fatalf("%d records filling the budget: got %d bytes, %v; want <= 4096, nil", len(p.entries)+len(p.flashes), len(sampleName)+len(v), err)
	}
	last.value = append(last.value, ' ')
	_, err = c.sealNonce(sampleName, p, c.ring.primary(), testNonce("many"))
	wantTooLarge(t, err, sampleName, len(sampleName)+encodedLen(fixedPlain+budget+1))
}

// TestEncodeTooLarge finds the longest string Codec.Encode takes for a name
// and checks that one byte more fails with a *SizeError.
func TestEncodeTooLarge(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	for _, name := range []string{"", "s", sampleName, strings.Repeat("n", 200), strings.Repeat("n", 3000)} {
		t.Run(fmt.Sprintf("name of %d bytes", len(name)), func(t *testing.T) {
			encode := func(n int) (string, error) { return c.Encode(name, strings.Repeat("x", n)) }
			largest := sort.Search(MaxCookieSize, func(n int) bool { _, err := encode(n); return err != nil }) - 1
			// A string of n bytes is a record of 3 + len("value") + n + 2 bytes.
			if want := PayloadBudget(name) - entryHeader - len(codecEntry) - 2; largest != want {
				t.Errorf("largest string: got %d bytes, want %d", largest, want)
			}
			v, err := encode(largest)
			if err != nil {
				t.Fatalf("string of %d bytes: got %v, want nil", largest, err)
			}
			if n := len(name) + len(v); n > MaxCookieSize || n < MaxCookieSize-2 {
				t.Errorf("string of %d bytes: got %d bytes with the name, want 4094 to 4096", largest, n)
			}
			var s string
			if err := c.Decode(name, v, &s); err != nil || len(s) != largest {
				t.Errorf("Decode: got %d bytes, %v; want %d, nil", len(s), err, largest)
			}
			v, err = encode(largest + 1)
			if v != "" {
				t.Errorf("string of %d bytes: got value %q, want none", largest+1, v)
			}
			plain := fixedPlain + entryHeader + len(codecEntry) + largest + 1 + 2
			wantTooLarge(t, err, name, len(name)+encodedLen(plain))
		})
	}
}

func wantTooLarge(tb testing.TB, err error, name string, size int) {
	tb.Helper()
	if !errors.Is(err, ErrTooLarge) {
		tb.Fatalf("errors.Is(%v, ErrTooLarge): got false, want true", err)
	}
	if errors.Is(err, ErrInvalid) {
		tb.Errorf("errors.Is(%v, ErrInvalid): got true, want false", err)
	}
	var se *SizeError
	if !errors.As(err, &se) {
		tb.Fatalf("errors.As(%v, *SizeError): got false, want true", err)
	}
	if se.Name != name || se.Size != size || se.Limit != MaxCookieSize {
		tb.Errorf("SizeError: got name of %d bytes, Size %d, Limit %d; want %d, %d, %d",
			len(se.Name), se.Size, se.Limit, len(name), size, MaxCookieSize)
	}
	if se.Size <= se.Limit {
		tb.Errorf("SizeError: got Size %d <= Limit %d, want over", se.Size, se.Limit)
	}
}

func TestSizeErrorMatching(t *testing.T) {
	var err error = &SizeError{Name: "s", Size: 4097, Limit: MaxCookieSize, Largest: []string{"cart"}}
	wrapped := fmt.Errorf("saving: %w", err)
	if !errors.Is(wrapped, ErrTooLarge) {
		t.Errorf("errors.Is(wrapped, ErrTooLarge): got false, want true")
	}
	if errors.Is(wrapped, ErrInvalid) || errors.Is(wrapped, ErrExpired) {
		t.Errorf("errors.Is(wrapped, ErrInvalid or ErrExpired): got true, want false")
	}
	var se *SizeError
	if !errors.As(wrapped, &se) || se.Size != 4097 {
		t.Errorf("errors.As(wrapped, *SizeError): got %v, want Size 4097", se)
	}
}

// TestOpenTooLong checks rule 1 at its boundary: an authentic cookie opens
// with 4096 bytes of name and value, and is refused, unread, at 4097.
func TestOpenTooLong(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	now := time.Unix(vectorT0, 0)
	v := sealSample(t, c, vectorT0, "too long")
	fits := strings.Repeat("n", MaxCookieSize-len(v))
	v, err := c.sealNonce(fits, samplePayload(vectorT0), c.ring.primary(), testNonce("too long"))
	if err != nil {
		t.Fatalf("sealNonce with %d bytes of name and value: got %v, want nil", len(fits)+len(v), err)
	}
	if _, _, err := c.openNew(fits, v, now); err != nil {
		t.Errorf("open with %d bytes: got %v, want nil", len(fits)+len(v), err)
	}
	over := fits + "n"
	if _, err := c.sealNonce(over, samplePayload(vectorT0), c.ring.primary(), testNonce("too long")); !errors.Is(err, ErrTooLarge) {
		t.Errorf("sealNonce with %d bytes: got %v, want ErrTooLarge", len(over)+len(v), err)
	}
	forged := specSeal(testSecret(1), testNonce("too long"), over, appendPlain(nil, samplePayload(vectorT0)))
	_, _, err = c.openNew(over, forged, now)
	wantInvalid(t, err, ReasonTooLong)
}
