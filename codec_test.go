package cookiesession

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/securecookie"
)

// sealNonce seals p as a cookie under k with the given nonce, as seal does
// with a random nonce and the primary key.
func (c *Codec) sealNonce(name string, p *payload, k *ringKey, nonce []byte) (string, error) {
	return c.sealVia(name, viaCookie, p, k, nonce)
}

// sealVia is sealNonce for transport t.
func (c *Codec) sealVia(name string, t transport, p *payload, k *ringKey, nonce []byte) (string, error) {
	b, err := c.appendSeal(nil, name, t, p, k, nonce, 1)
	return string(b), err
}

// sealValue seals p as a cookie as seal does, into a string.
func (c *Codec) sealValue(name string, p *payload) (string, error) {
	b, err := c.seal(nil, name, viaCookie, p, 1)
	return string(b), err
}

// openNew opens value, a cookie, into a new payload.
func (c *Codec) openNew(name, value string, now time.Time) (*payload, *ringKey, error) {
	return c.openVia(name, value, viaCookie, now)
}

// openVia is openNew for transport t.
func (c *Codec) openVia(name, value string, t transport, now time.Time) (*payload, *ringKey, error) {
	p := new(payload)
	k, err := c.open(p, name, value, t, 1, now)
	if err != nil {
		return nil, nil, err
	}
	return p, k, nil
}

// parseNew parses b, a v2 plaintext, into a new payload.
func parseNew(b []byte) (*payload, bool) {
	p := new(payload)
	if !parsePlain(b, p, version2) {
		return nil, false
	}
	return p, true
}

// testSecret returns test fixture secret i, sha256("cookiesession test key i").
func testSecret(i int) []byte {
	s := sha256.Sum256(fmt.Appendf(nil, "cookiesession test key %d", i))
	return s[:]
}

// testRing returns a ring of the fixture secrets numbered keys, primary first.
func testRing(tb testing.TB, keys ...int) *KeyRing {
	tb.Helper()
	secrets := make([][]byte, len(keys))
	for i, k := range keys {
		secrets[i] = testSecret(k)
	}
	r, err := NewKeyRing(secrets...)
	if err != nil {
		tb.Fatalf("NewKeyRing(test keys %v): %v", keys, err)
	}
	return r
}

func testNonce(label string) []byte {
	s := sha256.Sum256([]byte("cookiesession test nonce " + label))
	return s[:nonceSize]
}

func testSessionID(label string) []byte {
	s := sha256.Sum256([]byte("cookiesession test session id " + label))
	return s[:idSize]
}

const sampleName = "__Host-session"

// samplePayload is a typical session issued at t, valid for a day.
func samplePayload(t int64) *payload {
	p := payloadFromSpec(basePlain())
	p.issuedAt, p.renewedAt, p.expiresAt = t, t, t+86400
	return p
}

// sealSample seals samplePayload(t) for sampleName under c's primary key.
func sealSample(tb testing.TB, c *Codec, t int64, label string) string {
	tb.Helper()
	v, err := c.sealNonce(sampleName, samplePayload(t), c.ring.primary(), testNonce(label))
	if err != nil {
		tb.Fatalf("sealNonce: %v", err)
	}
	return v
}

type profile struct {
	Name  string            `json:"name"`
	Age   int               `json:"age"`
	Tags  []string          `json:"tags"`
	Prefs map[string]string `json:"prefs"`
	Admin bool              `json:"admin"`
	Since time.Time         `json:"since"`
}

func TestCodecRoundTrip(t *testing.T) {
	ada := profile{Name: "Ada", Age: 36, Tags: []string{"math", "engines"}, Prefs: map[string]string{"theme": "dark"},
		Admin: true, Since: time.Date(1843, 7, 1, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name  string
		value any
		dst   func() any // a pointer to decode into
		want  any        // what the pointer holds after Decode
	}{
		{"struct", ada, func() any { return new(profile) }, ada},
		{"pointer to struct", &ada, func() any { return new(profile) }, ada},
		{"zero struct", profile{}, func() any { return new(profile) }, profile{}},
		{"map[string]any", map[string]any{"n": 1.5, "s": "x", "nested": map[string]any{"a": []any{true, nil}}},
			func() any { return new(map[string]any) },
			map[string]any{"n": 1.5, "s": "x", "nested": map[string]any{"a": []any{true, nil}}}},
		{"map[any]any, gorilla session.Values", map[any]any{"user": "ada", "n": 42, "list": []any{"a", 1}},
			func() any { return new(map[any]any) },
			map[any]any{"user": "ada", "n": float64(42), "list": []any{"a", float64(1)}}},
		{"empty map[any]any", map[any]any{}, func() any { return new(map[any]any) }, map[any]any{}},
		{"nil map[any]any", map[any]any(nil), func() any { return new(map[any]any) }, map[any]any{}},
		{"string", "héllo, wörld ☕", func() any { return new(string) }, "héllo, wörld ☕"},
		{"int", 42, func() any { return new(int) }, 42},
		{"slice", []int{3, 1, 2}, func() any { return new([]int) }, []int{3, 1, 2}},
		{"nil into any", nil, func() any { return new(any) }, nil},
	}
	c := NewCodec(testRing(t, 1), time.Hour)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := c.Encode("prefs", tc.value)
			if err != nil {
				t.Fatalf("Encode: got %v, want nil", err)
			}
			dst := tc.dst()
			if err := c.Decode("prefs", v, dst); err != nil {
				t.Fatalf("Decode: got %v, want nil", err)
			}
			if got := reflect.ValueOf(dst).Elem().Interface(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Decode: got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// TestCodecFormat checks Encode's plaintext against FORMAT.md "Single values".
func TestCodecFormat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, tc := range []struct {
			maxAge time.Duration
			want   int64
		}{{0, 86400}, {time.Hour, 3600}, {90 * time.Minute, 5400}, {time.Second, 1}, {1500 * time.Millisecond, 1}} {
			c := NewCodec(testRing(t, 1), tc.maxAge)
			v, err := c.Encode("prefs", map[string]int{"a": 1})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().Unix()
			p, _, err := c.openNew("prefs", v, time.Now())
			if err != nil {
				t.Fatalf("maxAge %v: open: got %v, want nil", tc.maxAge, err)
			}
			want := specPlain{issued: now, renewed: now, expires: now + tc.want, id: p.id[:], flags: flagPersist,
				entries: records(codecEntry, `{"a":1}`)}
			if got := specFromPayload(p); !equalSpec(got, want) {
				t.Errorf("maxAge %v:\ngot  %v\nwant %v", tc.maxAge, got, want)
			}
		}
	})
}

func TestNewCodecPanics(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ring   *KeyRing
		maxAge time.Duration
	}{
		{"nil ring", nil, time.Hour},
		{"empty ring", new(KeyRing), time.Hour},
		{"negative maxAge", testRing(t, 1), -time.Second},
		{"maxAge under a second", testRing(t, 1), 999 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewCodec(%v, %v): got no panic, want one", tc.ring, tc.maxAge)
				}
			}()
			NewCodec(tc.ring, tc.maxAge)
		})
	}
}

func TestCodecEncodeErrors(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	for _, tc := range []struct {
		name  string
		value any
	}{
		{"map[any]any with an int key", map[any]any{1: "one"}},
		{"map[any]any with a struct key", map[any]any{struct{}{}: "x"}},
		{"map[any]any with a mix of keys", map[any]any{"a": 1, 2.5: "b"}},
		{"nested map[any]any", map[any]any{"inner": map[any]any{"a": 1}}},
		{"channel", make(chan int)},
		{"function", func() {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := c.Encode("prefs", tc.value)
			if err == nil {
				t.Fatalf("Encode: got %q, nil; want an error", v)
			}
			if v != "" {
				t.Errorf("Encode: got value %q with the error, want empty", v)
			}
			if errors.Is(err, ErrInvalid) || errors.Is(err, ErrTooLarge) {
				t.Errorf("Encode: got %v, want neither ErrInvalid nor ErrTooLarge", err)
			}
		})
	}
}

func TestCodecDecodeErrors(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	v, err := c.Encode("prefs", map[string]any{"theme": "dark"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("wrong type", func(t *testing.T) {
		var n int
		err := c.Decode("prefs", v, &n)
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			t.Errorf("Decode into *int: got %v, want a *json.UnmarshalTypeError", err)
		}
		if errors.Is(err, ErrInvalid) {
			t.Errorf("Decode into *int: got %v matching ErrInvalid, want an authentic cookie's decoding error", err)
		}
	})
	t.Run("not a pointer", func(t *testing.T) {
		var m map[string]any
		var ie *json.InvalidUnmarshalError
		if err := c.Decode("prefs", v, m); !errors.As(err, &ie) {
			t.Errorf("Decode into a map value: got %v, want a *json.InvalidUnmarshalError", err)
		}
	})
	t.Run("nil *map[any]any", func(t *testing.T) {
		var ie *json.InvalidUnmarshalError
		if err := c.Decode("prefs", v, (*map[any]any)(nil)); !errors.As(err, &ie) {
			t.Errorf("Decode into a nil *map[any]any: got %v, want a *json.InvalidUnmarshalError", err)
		}
	})
	t.Run("into an existing map[any]any", func(t *testing.T) {
		m := map[any]any{"kept": true}
		if err := c.Decode("prefs", v, &m); err != nil {
			t.Fatal(err)
		}
		if want := (map[any]any{"kept": true, "theme": "dark"}); !reflect.DeepEqual(m, want) {
			t.Errorf("Decode: got %v, want %v", m, want)
		}
	})
	t.Run("map[any]any from a non-object", func(t *testing.T) {
		s, err := c.Encode("prefs", []int{1})
		if err != nil {
			t.Fatal(err)
		}
		var m map[any]any
		var te *json.UnmarshalTypeError
		if err := c.Decode("prefs", s, &m); !errors.As(err, &te) {
			t.Errorf("Decode of an array into *map[any]any: got %v, want a *json.UnmarshalTypeError", err)
		}
	})
}

// TestCodecDecodeShape checks that Decode opens only Encode's shape: one
// entry called "value".
func TestCodecDecodeShape(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	now := time.Now().Unix()
	for _, tc := range []struct {
		name    string
		entries []vectorRecord
		ok      bool
	}{
		{"one entry named value", records(codecEntry, `1`), true},
		{"no entries", nil, false},
		{"one entry with another name", records("values", `1`), false},
		{"value and another entry", records("other", `2`, codecEntry, `1`), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := payloadFromSpec(specPlain{issued: now, renewed: now, expires: now + 3600, entries: tc.entries})
			v, err := c.sealNonce("prefs", p, c.ring.primary(), testNonce(tc.name))
			if err != nil {
				t.Fatal(err)
			}
			var n int
			err = c.Decode("prefs", v, &n)
			if tc.ok {
				if err != nil || n != 1 {
					t.Errorf("Decode: got %d, %v; want 1, nil", n, err)
				}
				return
			}
			wantInvalid(t, err, ReasonPlaintext)
		})
	}
}

// TestCodecGorillaInterface uses Codec where gorilla/sessions would.
func TestCodecGorillaInterface(t *testing.T) {
	codecs := []securecookie.Codec{NewCodec(testRing(t, 1), time.Hour)}
	values := map[any]any{"user": "ada", "visits": 3}
	v, err := securecookie.EncodeMulti("session", values, codecs...)
	if err != nil {
		t.Fatalf("EncodeMulti: got %v, want nil", err)
	}
	got := map[any]any{}
	if err := securecookie.DecodeMulti("session", v, &got, codecs...); err != nil {
		t.Fatalf("DecodeMulti: got %v, want nil", err)
	}
	if want := (map[any]any{"user": "ada", "visits": float64(3)}); !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeMulti: got %v, want %v", got, want)
	}
	if err := securecookie.DecodeMulti("other", v, &got, codecs...); err == nil {
		t.Errorf("DecodeMulti under another name: got nil, want an error")
	}
}

// TestSealFresh checks that every seal draws a new nonce and Encode a new session ID.
func TestSealFresh(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	nonces := map[string]bool{}
	ids := map[[idSize]byte]bool{}
	for range 100 {
		v, err := c.Encode("prefs", "same value")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := b64.DecodeString(v)
		p, _, err := c.openNew("prefs", v, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		nonces[string(raw[1+keyIDSize:headerSize])] = true
		ids[p.id] = true
	}
	if len(nonces) != 100 || len(ids) != 100 {
		t.Errorf("100 Encodes: got %d nonces and %d session IDs, want 100 of each", len(nonces), len(ids))
	}
}

// TestSealsWithPrimary checks that the primary's key ID heads every cookie.
func TestSealsWithPrimary(t *testing.T) {
	ring := testRing(t, 2, 1, 3)
	v, err := NewCodec(ring, time.Hour).Encode("prefs", 1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := b64.DecodeString(v)
	_, wantID := specKeys(testSecret(2))
	if got := raw[:1+keyIDSize]; !bytes.Equal(got, append([]byte{version2}, wantID...)) {
		t.Errorf("header: got %x, want 02%x", got, wantID)
	}
}

// TestEveryBitFlipRejected flips each bit of a sealed cookie in turn.
func TestEveryBitFlipRejected(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	v := sealSample(t, c, vectorT0, "bit flips")
	now := time.Unix(vectorT0+60, 0)
	if _, _, err := c.openNew(sampleName, v, now); err != nil {
		t.Fatalf("unmodified: got %v, want nil", err)
	}
	raw, _ := b64.DecodeString(v)
	for i := range len(raw) * 8 {
		b := bytes.Clone(raw)
		b[i/8] ^= 1 << (i % 8)
		_, _, err := c.openNew(sampleName, b64.EncodeToString(b), now)
		want := ReasonAuth
		switch {
		case i/8 == 0:
			want = ReasonVersion
		case i/8 < 1+keyIDSize:
			want = ReasonUnknownKey
		}
		if !errors.Is(err, ErrInvalid) || reasonOf(err) != want {
			t.Errorf("bit %d of %d flipped: got %v, want %q", i, len(raw)*8, err, want)
		}
	}
	if got := c.ring.Stats()[0].Opens; got != 1 {
		t.Errorf("Opens: got %d, want 1 (the unmodified cookie)", got)
	}
}

// TestEveryCharacterChangeRejected replaces each character of an encoded
// cookie with every other character of the alphabet.
func TestEveryCharacterChangeRejected(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	c := NewCodec(testRing(t, 1, 2), time.Hour)
	v := sealSample(t, c, vectorT0, "characters")
	now := time.Unix(vectorT0, 0)
	for i := range len(v) {
		for _, ch := range []byte(alphabet + "+/=.\r\n ") {
			if ch == v[i] {
				continue
			}
			s := v[:i] + string(ch) + v[i+1:]
			if _, _, err := c.openNew(sampleName, s, now); !errors.Is(err, ErrInvalid) {
				t.Errorf("character %d changed to %q: got %v, want ErrInvalid", i, ch, err)
			}
		}
	}
}

// TestEveryTruncationRejected cuts the cookie at every length, both as
// text and as decoded bytes, from the end and from the start.
func TestEveryTruncationRejected(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	v := sealSample(t, c, vectorT0, "truncations")
	now := time.Unix(vectorT0, 0)
	for n := range len(v) {
		for _, s := range []string{v[:n], v[len(v)-n:]} {
			if _, _, err := c.openNew(sampleName, s, now); !errors.Is(err, ErrInvalid) {
				t.Errorf("%d of %d characters: got %v, want ErrInvalid", n, len(v), err)
			}
		}
	}
	raw, _ := b64.DecodeString(v)
	for n := range len(raw) {
		want := ReasonAuth
		if n < sealedMin {
			want = ReasonTooShort
		}
		_, _, err := c.openNew(sampleName, b64.EncodeToString(raw[:n]), now)
		if !errors.Is(err, ErrInvalid) || reasonOf(err) != want {
			t.Errorf("first %d of %d bytes: got %v, want %q", n, len(raw), err, want)
		}
		if _, _, err := c.openNew(sampleName, b64.EncodeToString(raw[len(raw)-n:]), now); !errors.Is(err, ErrInvalid) {
			t.Errorf("last %d of %d bytes: got %v, want ErrInvalid", n, len(raw), err)
		}
	}
}

// TestNameBinding opens cookies under names other than the one they were sealed for.
func TestNameBinding(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	now := time.Unix(vectorT0, 0)
	for _, tc := range []struct{ seal, open string }{
		{"a", "a\x00"},
		{"a\x00", "a"},
		{"", "\x00"},
		{"\x00", ""},
		{"a", "ab"},
		{"ab", "a"},
		{"session", "Session"},
		{"session", "session "},
		{"__Host-session", "__Secure-session"},
		{"__Host-session", "session"},
		{"\x00\x01a", "a"},
		{"a", "\x00\x01a"},
		{strings.Repeat("n", 256), strings.Repeat("n", 256) + "\x00"},
	} {
		t.Run(fmt.Sprintf("%q as %q", tc.seal, tc.open), func(t *testing.T) {
			v, err := c.sealNonce(tc.seal, samplePayload(vectorT0), c.ring.primary(), testNonce("names"))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.openNew(tc.seal, v, now); err != nil {
				t.Fatalf("open as %q: got %v, want nil", tc.seal, err)
			}
			_, _, err = c.openNew(tc.open, v, now)
			wantInvalid(t, err, ReasonAuth)
		})
	}
}

// TestNonCanonicalRejected re-encodes many cookies in each other spelling
// that a lenient base64 decoder would take.
func TestNonCanonicalRejected(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	now := time.Unix(vectorT0, 0)
	seen := map[string]bool{}
	for i := range 64 {
		p := samplePayload(vectorT0)
		p.flashes = append(p.flashes, entry{key: "n", value: []byte(jsonString(i % 3))}) // every length modulo 3
		v, err := c.sealNonce(sampleName, p, c.ring.primary(), testNonce(fmt.Sprint("canonical ", i)))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := b64.DecodeString(v)
		for _, tc := range []struct{ name, value string }{
			{"padded", base64Std(raw, true, true)},
			{"standard alphabet", base64Std(raw, false, false)},
			{"standard alphabet, padded", base64Std(raw, false, true)},
			{"line break every 76 characters", wrap76(v)},
			{"trailing LF", v + "\n"},
			{"leading CR", "\r" + v},
		} {
			if tc.value == v {
				continue // this spelling is the canonical one for these bytes
			}
			seen[tc.name] = true
			_, _, err := c.openNew(sampleName, tc.value, now)
			if !errors.Is(err, ErrInvalid) || reasonOf(err) != ReasonMalformed {
				t.Errorf("cookie %d %s: got %v, want %q", i, tc.name, err, ReasonMalformed)
			}
		}
	}
	if len(seen) != 6 {
		t.Errorf("spellings tried: got %d, want 6", len(seen))
	}
}

func base64Std(b []byte, urlAlphabet, padded bool) string {
	s := b64.EncodeToString(b)
	if !urlAlphabet {
		s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	}
	if padded {
		s += strings.Repeat("=", (4-len(s)%4)%4)
	}
	return s
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

func reasonOf(err error) Reason {
	var ie *InvalidError
	if errors.As(err, &ie) {
		return ie.Reason
	}
	return ""
}

// TestOpenDoesNotParseValues checks that values stay opaque until read,
// as FORMAT.md asks: a non-JSON value opens, and fails only in Decode.
func TestOpenDoesNotParseValues(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	now := time.Now().Unix()
	p := payloadFromSpec(specPlain{issued: now, renewed: now, expires: now + 60, entries: records(codecEntry, `{not json`)})
	v, err := c.sealNonce("prefs", p, c.ring.primary(), testNonce("opaque"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.openNew("prefs", v, time.Now()); err != nil {
		t.Fatalf("open: got %v, want nil", err)
	}
	var dst any
	var se *json.SyntaxError
	if err := c.Decode("prefs", v, &dst); !errors.As(err, &se) || errors.Is(err, ErrInvalid) {
		t.Errorf("Decode: got %v, want a *json.SyntaxError not matching ErrInvalid", err)
	}
}

// TestParsePlainBoundsCounts checks that a count larger than the records
// that could follow it is refused before anything is allocated for it.
func TestParsePlainBoundsCounts(t *testing.T) {
	s := specPlain{issued: vectorT0, renewed: vectorT0, expires: vectorT0 + 60, id: testSessionID("counts"),
		entries: records("k", jsonString(3000))}
	b := s.bytes()
	binary.BigEndian.PutUint16(b[3*8+idSize+1:], uint16(len(b)/entryHeader)) // fits in len(b), not in records
	allocs := testing.AllocsPerRun(100, func() {
		var p payload
		if parsePlain(b, &p, version2) {
			t.Fatal("parsePlain: got ok, want a refusal")
		}
	})
	if allocs != 0 {
		t.Errorf("parsePlain of %d bytes with a count of %d: got %v allocations, want 0", len(b), len(b)/entryHeader, allocs)
	}
}

// keeper is a JSON value whose UnmarshalJSON keeps its input, which the
// json.Unmarshaler contract forbids.
type keeper struct{ kept []byte }

func (k *keeper) UnmarshalJSON(b []byte) error { k.kept = b; return nil }

// TestDecodeMemoryNotShared checks that what Decode hands to an
// UnmarshalJSON method is not reused: a method that keeps it, against its
// contract, must not later see another value's plaintext.
func TestDecodeMemoryNotShared(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	first, err := c.Encode("prefs", "first secret")
	if err != nil {
		t.Fatal(err)
	}
	var k keeper
	if err := c.Decode("prefs", first, &k); err != nil {
		t.Fatal(err)
	}
	want := string(k.kept)
	for i := range 100 {
		v, err := c.Encode("prefs", fmt.Sprintf("other secret %d", i))
		if err != nil {
			t.Fatal(err)
		}
		var s string
		if err := c.Decode("prefs", v, &s); err != nil {
			t.Fatal(err)
		}
	}
	if got := string(k.kept); got != want || want != `"first secret"` {
		t.Errorf("kept input: got %q, want %q unchanged", got, `"first secret"`)
	}
}

// TestSealRefusesOutOfFormat checks that the sealer refuses every payload
// the opener would reject, so it never emits a cookie that cannot open.
func TestSealRefusesOutOfFormat(t *testing.T) {
	c := NewCodec(testRing(t, 1), time.Hour)
	for _, tc := range []struct {
		name   string
		change func(p *payload)
	}{
		{"empty entry key", func(p *payload) { p.entries = []entry{{key: "", value: []byte("1")}} }},
		{"empty flash key", func(p *payload) { p.flashes = []entry{{key: "", value: []byte("1")}} }},
		{"entry key of 256 bytes", func(p *payload) { p.entries = []entry{{key: strings.Repeat("k", 256), value: []byte("1")}} }},
		{"flash key of 256 bytes", func(p *payload) { p.flashes = []entry{{key: strings.Repeat("k", 256), value: []byte("1")}} }},
		{"entry key not UTF-8", func(p *payload) { p.entries = []entry{{key: "\xff", value: []byte("1")}} }},
		{"flash key not UTF-8", func(p *payload) { p.flashes = []entry{{key: "caf\xc3", value: []byte("1")}} }},
		{"entry keys out of order", func(p *payload) {
			p.entries = []entry{{key: "b", value: []byte("1")}, {key: "a", value: []byte("2")}}
		}},
		{"entry keys repeat", func(p *payload) {
			p.entries = []entry{{key: "a", value: []byte("1")}, {key: "a", value: []byte("2")}}
		}},
		{"issued after renewed", func(p *payload) { p.issuedAt = p.renewedAt + 1 }},
		{"renewed at expiry", func(p *payload) { p.renewedAt = p.expiresAt }},
		{"renewed after expiry", func(p *payload) { p.renewedAt, p.issuedAt = p.expiresAt+1, p.expiresAt+1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := samplePayload(vectorT0)
			tc.change(p)
			if plain := appendPlain(nil, p); plain != nil {
				if _, ok := specParse(plain, version2); !ok {
					t.Errorf("appendPlain: got %x, which the spec rejects; want nil", plain)
				}
			}
			v, err := c.sealNonce(sampleName, p, c.ring.primary(), testNonce("refuse"))
			if err == nil {
				t.Errorf("sealNonce: got %q, nil; want an error", v)
			}
			if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrInvalid) {
				t.Errorf("sealNonce: got %v, want neither ErrTooLarge nor ErrInvalid", err)
			}
		})
	}
}

// TestExpiry runs a cookie's life on the fake clock of a synctest bubble.
func TestExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewCodec(testRing(t, 1), time.Hour)
		v, err := c.Encode("prefs", "hello")
		if err != nil {
			t.Fatal(err)
		}
		decode := func(when string) error {
			var s string
			err := c.Decode("prefs", v, &s)
			if err == nil && s != "hello" {
				t.Errorf("%s: got %q, want %q", when, s, "hello")
			}
			return err
		}
		if err := decode("at once"); err != nil {
			t.Errorf("at once: got %v, want nil", err)
		}
		time.Sleep(time.Hour - time.Millisecond)
		if err := decode("a millisecond before maxAge"); err != nil {
			t.Errorf("a millisecond before maxAge: got %v, want nil", err)
		}
		time.Sleep(time.Millisecond)
		wantInvalid(t, decode("at maxAge"), ReasonExpired)
		time.Sleep(365 * 24 * time.Hour)
		wantInvalid(t, decode("a year later"), ReasonExpired)
	})
}

// TestFuture checks the skew tolerance for timestamps ahead of the clock.
func TestFuture(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewCodec(testRing(t, 1), time.Hour)
		now := time.Now().Unix()
		seal := func(issued, renewed int64) string {
			p := payloadFromSpec(specPlain{issued: issued, renewed: renewed, expires: now + 3600, entries: records(codecEntry, `1`)})
			v, err := c.sealNonce("prefs", p, c.ring.primary(), testNonce("future"))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		for _, tc := range []struct {
			name            string
			issued, renewed int64
			want            Reason // empty: opens
		}{
			{"issued now", now, now, ""},
			{"issued at the skew limit", now + 60, now + 60, ""},
			{"renewed at the skew limit", now - 10, now + 60, ""},
			{"issued beyond the skew", now + 61, now + 61, ReasonFuture},
			{"renewed beyond the skew", now, now + 61, ReasonFuture},
			{"issued an hour ahead", now + 3599, now + 3599, ReasonFuture},
		} {
			_, _, err := c.openNew("prefs", seal(tc.issued, tc.renewed), time.Now())
			if tc.want == "" {
				if err != nil {
					t.Errorf("%s: got %v, want nil", tc.name, err)
				}
				continue
			}
			wantInvalid(t, err, tc.want)
		}
		// A cookie from a clock 2 minutes ahead opens once ours catches up to within the skew.
		v := seal(now+120, now+120)
		wantInvalid(t, c.Decode("prefs", v, new(any)), ReasonFuture)
		time.Sleep(59 * time.Second)
		wantInvalid(t, c.Decode("prefs", v, new(any)), ReasonFuture)
		time.Sleep(time.Second)
		var got any
		if err := c.Decode("prefs", v, &got); err != nil || got != float64(1) {
			t.Errorf("after 60s: got %v, %v; want 1, nil", got, err)
		}
	})
}

// benchValue is a session-shaped value whose JSON grows with its cart.
type benchValue struct {
	UserID int64             `json:"user_id"`
	Email  string            `json:"email"`
	Roles  []string          `json:"roles"`
	Prefs  map[string]string `json:"prefs,omitempty"`
	Cart   []benchItem       `json:"cart,omitempty"`
}

type benchItem struct {
	SKU   string `json:"sku"`
	Qty   int    `json:"qty"`
	Price int    `json:"price"`
}

// newBenchValue returns a benchValue whose JSON is about size bytes.
func newBenchValue(size int) benchValue {
	v := benchValue{UserID: 1234567, Email: "ada@example.com", Roles: []string{"user"}}
	if size > 100 {
		v.Prefs = map[string]string{"theme": "dark", "lang": "en-GB", "tz": "Europe/London"}
	}
	for i := 0; ; i++ {
		b, _ := json.Marshal(v)
		if len(b) >= size {
			return v
		}
		v.Cart = append(v.Cart, benchItem{SKU: fmt.Sprintf("SKU-%05d", i), Qty: i%3 + 1, Price: 1999 + i})
	}
}

var benchSizes = []struct {
	name string
	size int
}{{"small", 60}, {"medium", 600}, {"large", 2500}}

// benchBySize runs f as a sub-benchmark for each of benchSizes, counting
// the value's JSON as the bytes processed.
func benchBySize(b *testing.B, f func(b *testing.B, c *Codec, v benchValue)) {
	c := NewCodec(testRing(b, 1), time.Hour)
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			v := newBenchValue(bs.size)
			j, _ := json.Marshal(v)
			b.SetBytes(int64(len(j)))
			b.ReportAllocs()
			f(b, c, v)
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	benchBySize(b, func(b *testing.B, c *Codec, v benchValue) {
		for b.Loop() {
			if _, err := c.Encode(sampleName, v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	benchBySize(b, func(b *testing.B, c *Codec, v benchValue) {
		s, err := c.Encode(sampleName, v)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			var got benchValue
			if err := c.Decode(sampleName, s, &got); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpenReadOne opens a medium session of several entries and
// unmarshals one of them, as a handler that reads one value does.
func BenchmarkOpenReadOne(b *testing.B) {
	c := NewCodec(testRing(b, 1), time.Hour)
	v := newBenchValue(600)
	now := time.Now().Unix()
	p := &payload{issuedAt: now, renewedAt: now, expiresAt: now + 3600}
	for _, kv := range []struct {
		key   string
		value any
	}{{"cart", v.Cart}, {"email", v.Email}, {"prefs", v.Prefs}, {"roles", v.Roles}, {"user_id", v.UserID}} {
		j, _ := json.Marshal(kv.value)
		p.entries = append(p.entries, entry{key: kv.key, value: j})
	}
	s, err := c.sealValue(sampleName, p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(p.plainLen()))
	b.ReportAllocs()
	for b.Loop() {
		opened, _, err := c.openNew(sampleName, s, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		i := slices.IndexFunc(opened.entries, func(e entry) bool { return e.key == "user_id" })
		var id int64
		if err := json.Unmarshal(opened.entries[i].value, &id); err != nil || id != v.UserID {
			b.Fatalf("user_id: got %d, %v; want %d", id, err, v.UserID)
		}
	}
}

// BenchmarkDecodeRing decodes a medium value sealed with the last key of
// a ring of 1 and of 16 keys.
func BenchmarkDecodeRing(b *testing.B) {
	v := newBenchValue(600)
	j, _ := json.Marshal(v)
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			keys := make([]int, n)
			for i := range keys {
				keys[i] = i + 1
			}
			ring := testRing(b, keys...)
			old := NewCodec(testRing(b, n), time.Hour)
			s, err := old.Encode(sampleName, v)
			if err != nil {
				b.Fatal(err)
			}
			c := NewCodec(ring, time.Hour)
			b.SetBytes(int64(len(j)))
			b.ReportAllocs()
			for b.Loop() {
				var got benchValue
				if err := c.Decode(sampleName, s, &got); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDecodeRefusesSessions checks that Codec.Decode opens only what Encode
// makes: one entry named "value" and no flashes.
func TestDecodeRefusesSessions(t *testing.T) {
	c := NewCodec(testRing(t, 1), 0)
	now := time.Now().Unix()
	value := entry{key: codecEntry, value: []byte(`"v"`)}
	for _, tc := range []struct {
		name             string
		entries, flashes []entry
	}{
		{"a flash besides the value", []entry{value}, []entry{{key: "info", value: []byte(`"hi"`)}}},
		{"a second entry", []entry{{key: "other", value: []byte(`1`)}, value}, nil},
		{"no entry", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &payload{issuedAt: now, renewedAt: now, expiresAt: now + 60, entries: tc.entries, flashes: tc.flashes}
			v, err := c.sealValue("n", p)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			var ie *InvalidError
			if err := c.Decode("n", v, &got); !errors.As(err, &ie) || ie.Reason != ReasonPlaintext {
				t.Errorf("Decode: got %v, want ReasonPlaintext", err)
			}
		})
	}
}
