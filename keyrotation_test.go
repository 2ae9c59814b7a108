package cookiesession

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// collidingSecrets are two fixture secrets whose key IDs are equal:
// sha256("cookiesession test collision N") for N = 99082 and 112755, found
// by a birthday search over N.
func collidingSecrets() (a, b []byte) {
	x := sha256.Sum256([]byte("cookiesession test collision 99082"))
	y := sha256.Sum256([]byte("cookiesession test collision 112755"))
	return x[:], y[:]
}

// secretForms lists the spellings of secret and of its AEAD key that must
// never appear in any output: raw, hex, base64 of either alphabet, and as
// fmt prints a byte slice with %v and %q.
func secretForms(secret []byte) []string {
	aeadKey, _ := specKeys(secret)
	var forms []string
	for _, b := range [][]byte{secret, aeadKey} {
		decimal := fmt.Sprint(b)
		forms = append(forms, string(b), hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
			base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b),
			base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
			decimal[1:len(decimal)-1], fmt.Sprintf("%q", b)[1:])
	}
	return forms
}

// checkNoSecret fails if any 8-byte run of any form of any secret appears in out.
func checkNoSecret(tb testing.TB, what, out string, secrets ...[]byte) {
	tb.Helper()
	for _, s := range secrets {
		for _, form := range secretForms(s) {
			for i := 0; i+8 <= len(form); i++ {
				if strings.Contains(out, form[i:i+8]) {
					tb.Errorf("%s: got %q, which holds %q from a secret, want no key material", what, out, form[i:i+8])
					return
				}
			}
		}
	}
}

func keyID(secret []byte) string {
	_, id := specKeys(secret)
	return hex.EncodeToString(id)
}

func TestFixtureKeysPass(t *testing.T) {
	for i := 1; i <= 16; i++ {
		if _, err := NewKeyRing(testSecret(i)); err != nil {
			t.Errorf("test key %d: got %v, want nil", i, err)
		}
	}
	for range 100 {
		k := GenerateKey()
		if len(k) != KeySize {
			t.Fatalf("GenerateKey: got %d bytes, want %d", len(k), KeySize)
		}
		if _, err := NewKeyRing(k); err != nil {
			t.Errorf("GenerateKey output: got %v, want nil", err)
		}
	}
	if a, b := GenerateKey(), GenerateKey(); bytes.Equal(a, b) {
		t.Errorf("GenerateKey twice: got the same key, want two")
	}
}

func TestKeyIDs(t *testing.T) {
	ring := testRing(t, 3, 1, 2)
	want := []string{keyID(testSecret(3)), keyID(testSecret(1)), keyID(testSecret(2))}
	if got := ring.PrimaryID(); got != want[0] {
		t.Errorf("PrimaryID: got %s, want %s", got, want[0])
	}
	for i, st := range ring.Stats() {
		if st.ID != want[i] || st.Primary != (i == 0) || st.Opens != 0 || !st.LastUsed.IsZero() {
			t.Errorf("Stats()[%d]: got %+v, want ID %s, Primary %v, no opens", i, st, want[i], i == 0)
		}
	}
	if got, want := ring.String(), "KeyRing["+strings.Join(want, " ")+"]"; got != want {
		t.Errorf("String: got %q, want %q", got, want)
	}
}

// TestNewKeyRingRefuses lists secrets that are not 32 random bytes.
func TestNewKeyRingRefuses(t *testing.T) {
	seq := func(start, step byte) []byte {
		b := make([]byte, KeySize)
		for i := range b {
			b[i] = start + byte(i)*step
		}
		return b
	}
	periodic := func(p int) []byte {
		unit := testSecret(100 + p)[:p]
		return bytes.Repeat(unit, KeySize/p+1)[:KeySize]
	}
	fewDistinct := make([]byte, KeySize)
	for i, c := range testSecret(200) {
		fewDistinct[i] = 0x80 + c%8 // 8 values, none printable, no period
	}
	published := make([][]byte, len(publishedKeys))
	for i, p := range publishedKeys {
		published[i], _ = base64.RawURLEncoding.Strict().DecodeString(p)
	}
	a, b := collidingSecrets()
	long := append(testSecret(300), testSecret(301)...)
	tests := []struct {
		name    string
		secrets [][]byte
	}{
		{"no keys", nil},
		{"nil key", [][]byte{nil}},
		{"16 bytes", [][]byte{testSecret(1)[:16]}},
		{"31 bytes", [][]byte{testSecret(1)[:31]}},
		{"33 bytes", [][]byte{long[:33]}},
		{"64 bytes", [][]byte{long}},
		{"second key 31 bytes", [][]byte{testSecret(1), testSecret(2)[:31]}},
		{"all zero", [][]byte{make([]byte, KeySize)}},
		{"all 0xff", [][]byte{bytes.Repeat([]byte{0xff}, KeySize)}},
		{"all A", [][]byte{bytes.Repeat([]byte{'A'}, KeySize)}},
		{"period 2", [][]byte{periodic(2)}},
		{"period 3", [][]byte{periodic(3)}},
		{"period 5", [][]byte{periodic(5)}},
		{"period 8", [][]byte{periodic(8)}},
		{"period 16", [][]byte{periodic(16)}},
		{"counting up from 0", [][]byte{seq(0, 1)}},
		{"counting up by 7 with wrap", [][]byte{seq(0xf0, 7)}},
		{"counting down", [][]byte{seq(0xff, 0xff)}},
		{"printable text", [][]byte{[]byte("correct horse battery staple 123")}},
		{"a passphrase and its newline", [][]byte{[]byte("correct horse battery staple 1\n")}},
		{"UTF-8 text", [][]byte{[]byte("clé secrète: ünïcödé tëxt")}},
		{"base64 text instead of its bytes", [][]byte{[]byte(b64url(testSecret(1))[:KeySize])}},
		{"hex text instead of its bytes", [][]byte{[]byte(hex.EncodeToString(testSecret(1))[:KeySize])}},
		{"8 distinct bytes", [][]byte{fewDistinct}},
		{"published key 1", [][]byte{published[0]}},
		{"published key 2", [][]byte{published[1]}},
		{"published key 3", [][]byte{published[2]}},
		{"published key after a good one", [][]byte{testSecret(1), published[0]}},
		{"duplicate", [][]byte{testSecret(1), testSecret(1)}},
		{"duplicate, not adjacent", [][]byte{testSecret(1), testSecret(2), testSecret(1)}},
		{"same key ID", [][]byte{a, b}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ring, err := NewKeyRing(tc.secrets...)
			if err == nil || ring != nil {
				t.Fatalf("NewKeyRing: got %v, %v; want nil, an error", ring, err)
			}
			checkNoSecret(t, "error", err.Error(), tc.secrets...)
		})
	}
}

func TestCollidingSecretsCollide(t *testing.T) {
	a, b := collidingSecrets()
	if bytes.Equal(a, b) || keyID(a) != keyID(b) {
		t.Fatalf("colliding fixtures: got IDs %s and %s, want equal IDs of different secrets", keyID(a), keyID(b))
	}
	for _, s := range [][]byte{a, b} {
		if _, err := NewKeyRing(s); err != nil {
			t.Errorf("one colliding secret alone: got %v, want nil", err)
		}
	}
}

func TestPublishedKeysWellFormed(t *testing.T) {
	for i, p := range publishedKeys {
		k, err := base64.RawURLEncoding.Strict().DecodeString(p)
		if err != nil || len(k) != KeySize {
			t.Errorf("publishedKeys[%d]: got %d bytes, %v; want %d, nil", i, len(k), err, KeySize)
		}
		for _, s := range []string{p, base64.StdEncoding.EncodeToString(k), base64.URLEncoding.EncodeToString(k)} {
			if ring, err := ParseKeyRing(s); err == nil {
				t.Errorf("ParseKeyRing(publishedKeys[%d] as %q): got %v, want an error", i, s, ring)
			}
		}
	}
}

func TestInsecureDevelopmentKeyRing(t *testing.T) {
	ring := InsecureDevelopmentKeyRing()
	dev, _ := base64.RawURLEncoding.DecodeString(publishedKeys[0])
	if got, want := ring.PrimaryID(), keyID(dev); got != want {
		t.Errorf("PrimaryID: got %s, want %s", got, want)
	}
	c := NewCodec(ring, time.Hour)
	v, err := c.Encode("dev", 1)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.Decode("dev", v, &n); err != nil || n != 1 {
		t.Errorf("Decode: got %d, %v; want 1, nil", n, err)
	}
}

// TestParseKeyRingAccepts spells fixture keys 4 and 5, whose standard
// encodings hold '+' and '/', every accepted way.
func TestParseKeyRingAccepts(t *testing.T) {
	k4, k5 := testSecret(4), testSecret(5)
	want := testRing(t, 4, 5).String()
	enc := func(k []byte, e *base64.Encoding) string { return e.EncodeToString(k) }
	u4, u5 := enc(k4, base64.RawURLEncoding), enc(k5, base64.RawURLEncoding)
	if s := enc(k4, base64.StdEncoding) + enc(k5, base64.StdEncoding); !strings.ContainsAny(s, "+") || !strings.ContainsAny(s, "/") {
		t.Fatalf("fixtures: standard encodings %q hold no + or /", s)
	}
	for _, tc := range []struct{ name, in string }{
		{"URL alphabet, unpadded", u4 + "," + u5},
		{"URL alphabet, padded", enc(k4, base64.URLEncoding) + "," + enc(k5, base64.URLEncoding)},
		{"standard alphabet, unpadded", enc(k4, base64.RawStdEncoding) + "," + enc(k5, base64.RawStdEncoding)},
		{"standard alphabet, padded", enc(k4, base64.StdEncoding) + "," + enc(k5, base64.StdEncoding)},
		{"mixed alphabets", enc(k4, base64.StdEncoding) + "," + u5},
		{"spaces around keys", "  " + u4 + " ,  " + u5 + "  "},
		{"tabs and a trailing newline", "\t" + u4 + "\t,\t" + u5 + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ring, err := ParseKeyRing(tc.in)
			if err != nil {
				t.Fatalf("ParseKeyRing: got %v, want nil", err)
			}
			if got := ring.String(); got != want {
				t.Errorf("ParseKeyRing: got %s, want %s", got, want)
			}
		})
	}
	if ring, err := ParseKeyRing(u5); err != nil || ring.String() != testRing(t, 5).String() {
		t.Errorf("one key: got %v, %v; want %v, nil", ring, err, testRing(t, 5))
	}
}

func TestParseKeyRingRefuses(t *testing.T) {
	k4 := testSecret(4)
	u4, s4 := b64url(k4), base64.StdEncoding.EncodeToString(k4)
	u5 := b64url(testSecret(5))
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", u4[len(u4)-1])
	mixed := strings.Replace(s4, "+", "-", 1) // one key, both alphabets
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"spaces", "   "},
		{"a comma", ","},
		{"trailing comma", u4 + ","},
		{"leading comma", "," + u4},
		{"empty key between", u4 + ",," + u5},
		{"space between keys", u4 + " " + u5},
		{"newline inside a key", u4[:20] + "\n" + u4[20:]},
		{"both alphabets in one key", mixed},
		{"non-zero unused bits", u4[:len(u4)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last|1])},
		{"not base64", "correct-horse-battery-staple!"},
		{"two padding characters where one is due", u4 + "=="},
		{"padding beyond what the key needs", s4 + "=="},
		{"31 bytes", b64url(k4[:31])},
		{"33 bytes", b64url(append(bytes.Clone(k4), 1))},
		{"hex instead of base64", hex.EncodeToString(k4)},
		{"the same key twice", u4 + "," + u4},
		{"the same key in two spellings", u4 + "," + s4},
		{"all zero", b64url(make([]byte, KeySize))},
		{"printable text", b64url([]byte("correct horse battery staple 123"))},
		{"published key", publishedKeys[0]},
		{"good key then published key", u5 + "," + publishedKeys[1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ring, err := ParseKeyRing(tc.in)
			if err == nil || ring != nil {
				t.Fatalf("ParseKeyRing: got %v, %v; want nil, an error", ring, err)
			}
			checkNoSecret(t, "error", err.Error(), k4, testSecret(5))
			for _, part := range strings.Split(tc.in, ",") {
				if part = strings.TrimSpace(part); len(part) >= 8 && strings.Contains(err.Error(), part) {
					t.Errorf("error: got %q, which holds the input %q", err, part)
				}
			}
		})
	}
}

func TestKeyRingFromEnv(t *testing.T) {
	const env = "COOKIESESSION_TEST_KEYS"
	u1, u2 := b64url(testSecret(1)), b64url(testSecret(2))
	for _, tc := range []struct {
		name  string
		value *string // nil: unset
		want  string  // ring.String(); empty: an error
	}{
		{"unset", nil, ""},
		{"empty", ptr(""), ""},
		{"blank", ptr("  \t "), ""},
		{"one key", ptr(u1), testRing(t, 1).String()},
		{"new,old", ptr(u2 + "," + u1), testRing(t, 2, 1).String()},
		{"not a key", ptr(u1[:30]), ""},
		{"published key", ptr(publishedKeys[0]), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.value == nil {
				t.Setenv(env, "") // restores the variable after the test
				os.Unsetenv(env)
			} else {
				t.Setenv(env, *tc.value)
			}
			ring, err := KeyRingFromEnv(env)
			if tc.want == "" {
				if err == nil || ring != nil {
					t.Fatalf("KeyRingFromEnv: got %v, %v; want nil, an error", ring, err)
				}
				checkNoSecret(t, "error", err.Error(), testSecret(1), testSecret(2))
				return
			}
			if err != nil || ring.String() != tc.want {
				t.Errorf("KeyRingFromEnv: got %v, %v; want %s, nil", ring, err, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestKeyRingNeverPrintsSecrets formats a ring, and values holding one,
// with every verb.
func TestKeyRingNeverPrintsSecrets(t *testing.T) {
	secrets := [][]byte{testSecret(1), testSecret(2)}
	ring := testRing(t, 1, 2)
	type exported struct {
		Name string
		Ring *KeyRing
	}
	type unexported struct {
		name string
		ring *KeyRing
	}
	type byValue struct{ Ring KeyRing }
	type withCodec struct{ C *Codec }
	codec := NewCodec(ring, time.Hour)
	values := []struct {
		name   string
		v      any
		showID bool // whether the output must show the key IDs
	}{
		{"*KeyRing", ring, true},
		{"struct with *KeyRing", exported{"app", ring}, true},
		{"*struct with *KeyRing", &exported{"app", ring}, true},
		{"struct with unexported *KeyRing", unexported{"app", ring}, false},
		{"struct with a KeyRing value", byValue{*ring}, false},
		{"slice of *KeyRing", []*KeyRing{ring, ring}, true},
		{"map of *KeyRing", map[string]*KeyRing{"r": ring}, true},
		{"*Codec", codec, false},
		{"struct with *Codec", withCodec{codec}, false},
		{"Stats", ring.Stats(), true},
	}
	ids := []string{keyID(secrets[0]), keyID(secrets[1])}
	for _, tc := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			out := fmt.Sprintf(verb, tc.v)
			checkNoSecret(t, tc.name+" "+verb, out, secrets...)
			if tc.showID && (verb == "%v" || verb == "%+v" || verb == "%s") {
				for _, id := range ids {
					if !strings.Contains(out, id) {
						t.Errorf("%s %s: got %q, want key ID %s in it", tc.name, verb, out, id)
					}
				}
			}
		}
		checkNoSecret(t, tc.name+" Sprint", fmt.Sprint(tc.v), secrets...)
		checkNoSecret(t, tc.name+" Sprintln", fmt.Sprintln(tc.v), secrets...)
	}
	// Format prints String for every verb, so a ring prints the same however it is logged.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		if got := fmt.Sprintf(verb, ring); got != ring.String() {
			t.Errorf("Sprintf(%q, ring): got %q, want %q", verb, got, ring.String())
		}
	}
	for _, out := range []string{ring.String(), ring.GoString(), ring.PrimaryID()} {
		checkNoSecret(t, "method", out, secrets...)
	}
	if got, want := ring.GoString(), ring.String(); got != want {
		t.Errorf("GoString: got %q, want %q", got, want)
	}
}

// TestKeyRotation walks the two-phase rotation of DESIGN.md.
func TestKeyRotation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		oldKey, newKey := b64url(testSecret(1)), b64url(testSecret(2))
		parse := func(s string) *Codec {
			r, err := ParseKeyRing(s)
			if err != nil {
				t.Fatal(err)
			}
			return NewCodec(r, 24*time.Hour)
		}
		headerID := func(v string) string {
			raw, _ := b64.DecodeString(v)
			return hex.EncodeToString(raw[1 : 1+keyIDSize])
		}
		before := parse(oldKey)
		oldCookie, err := before.Encode("session", "from the old key")
		if err != nil {
			t.Fatal(err)
		}

		// Phase 1, "old,new": the new key only opens.
		phase1 := parse(oldKey + "," + newKey)
		if v, _ := phase1.Encode("session", 1); headerID(v) != keyID(testSecret(1)) {
			t.Errorf("phase 1 seals with %s, want the old key %s", headerID(v), keyID(testSecret(1)))
		}

		// Phase 2, "new,old": the new key seals, the old one still opens.
		time.Sleep(time.Hour)
		phase2 := parse(newKey + "," + oldKey)
		var s string
		if err := phase2.Decode("session", oldCookie, &s); err != nil || s != "from the old key" {
			t.Fatalf("phase 2 Decode of the old cookie: got %q, %v; want %q, nil", s, err, "from the old key")
		}
		openedAt := time.Now()
		newCookie, err := phase2.Encode("session", "from the new key")
		if err != nil || headerID(newCookie) != keyID(testSecret(2)) {
			t.Fatalf("phase 2 seals with %s, %v; want the new key %s", headerID(newCookie), err, keyID(testSecret(2)))
		}
		time.Sleep(time.Minute)
		for range 3 {
			if err := phase2.Decode("session", newCookie, &s); err != nil {
				t.Fatal(err)
			}
		}
		st := phase2.ring.Stats()
		if st[0].ID != keyID(testSecret(2)) || !st[0].Primary || st[0].Opens != 3 || !st[0].LastUsed.Equal(time.Now()) {
			t.Errorf("phase 2 Stats()[0]: got %+v, want the new key, primary, 3 opens, last used now", st[0])
		}
		if st[1].ID != keyID(testSecret(1)) || st[1].Primary || st[1].Opens != 1 || !st[1].LastUsed.Equal(openedAt) {
			t.Errorf("phase 2 Stats()[1]: got %+v, want the old key, not primary, 1 open at %v", st[1], openedAt)
		}

		// Phase 3, "new": the old key has left the ring.
		phase3 := parse(newKey)
		wantInvalid(t, phase3.Decode("session", oldCookie, &s), ReasonUnknownKey)
		if err := phase3.Decode("session", newCookie, &s); err != nil || s != "from the new key" {
			t.Errorf("phase 3 Decode of the new cookie: got %q, %v; want %q, nil", s, err, "from the new key")
		}
	})
}

// TestStatsConcurrent opens cookies under two keys from many goroutines;
// run it with -race.
func TestStatsConcurrent(t *testing.T) {
	ring := testRing(t, 1, 2)
	c := NewCodec(ring, time.Hour)
	now := time.Unix(vectorT0, 0)
	cookies := [2]string{}
	for i := range cookies {
		v, err := c.sealNonce(sampleName, samplePayload(vectorT0), ring.keys[i], testNonce(fmt.Sprint("concurrent ", i)))
		if err != nil {
			t.Fatal(err)
		}
		cookies[i] = v
	}
	const goroutines, opens = 32, 300
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range opens {
				which := (g + i) % 3 % 2 // key 0 twice as often as key 1
				if _, k, err := c.openNew(sampleName, cookies[which], now); err != nil || k != ring.keys[which] {
					t.Errorf("goroutine %d open %d: got %v, want key %d", g, i, err, which)
					return
				}
				_ = ring.Stats()
				_ = ring.String()
			}
		})
	}
	wg.Wait()
	want := [2]uint64{}
	for g := range goroutines {
		for i := range opens {
			want[(g+i)%3%2]++
		}
	}
	for i, st := range ring.Stats() {
		if st.Opens != want[i] || !st.LastUsed.Equal(now) {
			t.Errorf("Stats()[%d]: got %d opens, last %v; want %d, %v", i, st.Opens, st.LastUsed, want[i], now)
		}
	}
}

// TestStatsCountAcceptedOpensOnly checks that a cookie refused by a check
// after decryption (here the idle timeout) is not counted as a use of its
// key, and that LastUsed never goes back.
func TestStatsCountAcceptedOpensOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ring := testRing(t, 1)
		m, err := New(ring, Config{IdleTimeout: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		p := &payload{persistent: true}
		m.start(p, start)
		v, err := m.codec.sealValue(m.cfg.Name, p)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Minute)
		later := time.Now()
		for _, now := range []time.Time{later, start} { // the second is a late, concurrent open
			if _, _, err := m.codec.openNew(m.cfg.Name, v, now); err != nil {
				t.Fatalf("open at %v: got %v, want nil", now, err)
			}
		}
		time.Sleep(2 * time.Hour)
		if _, _, err := m.codec.openNew(m.cfg.Name, v, time.Now()); !errors.Is(err, ErrExpired) {
			t.Fatalf("open after the idle timeout: got %v, want ErrExpired", err)
		}
		st := ring.Stats()[0]
		if st.Opens != 2 {
			t.Errorf("Opens: got %d, want 2", st.Opens)
		}
		if !st.LastUsed.Equal(later) {
			t.Errorf("LastUsed: got %v, want %v", st.LastUsed, later)
		}
	})
}
