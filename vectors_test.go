package cookiesession

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from buildVectors")

const vectorsPath = "testdata/vectors.json"

// vectorT0 is 2026-01-01T00:00:00Z, the time most vectors are built around.
const vectorT0 = 1767225600

// allReasons lists every Reason in the order of FORMAT.md's MUST-reject rules.
var allReasons = []Reason{
	ReasonTooLong, ReasonMalformed, ReasonTooShort, ReasonVersion, ReasonUnknownKey,
	ReasonAuth, ReasonPlaintext, ReasonFuture, ReasonExpired,
}

// vectorFile is the layout of testdata/vectors.json: a kind of vector is a
// field here, a builder in vectors_build_test.go and a check in
// TestVectors.
type vectorFile struct {
	Comment     []string       `json:"comment"`
	SkewSeconds int64          `json:"skew_seconds"`
	Valid       []validVector  `json:"valid"`
	Reseal      []resealVector `json:"reseal"`
	Invalid     []invalidGroup `json:"invalid"`
}

// vectorRecord is one entry or flash: a key and the bytes of its JSON value.
type vectorRecord struct {
	Key  string `json:"key"`
	JSON string `json:"json"`
}

type validVector struct {
	Name          string         `json:"name"`
	Version       int            `json:"version"`
	Transport     string         `json:"transport"`
	Keys          []string       `json:"keys"`
	SealedWith    int            `json:"sealed_with"`
	Nonce         string         `json:"nonce"`
	Cookie        string         `json:"cookie"`
	IssuedAt      int64          `json:"issued_at"`
	ExpiresAt     int64          `json:"expires_at"`
	RenewedAt     int64          `json:"renewed_at"`
	RevalidatedAt *int64         `json:"revalidated_at,omitempty"`
	Now           int64          `json:"now"`
	SessionID     string         `json:"session_id"`
	Persistent    bool           `json:"persistent"`
	Entries       []vectorRecord `json:"entries"`
	Flashes       []vectorRecord `json:"flashes"`
	Plaintext     string         `json:"plaintext"`
	Value         string         `json:"value"`
}

type invalidGroup struct {
	Reason  Reason          `json:"reason"`
	Vectors []invalidVector `json:"vectors"`
}

type invalidVector struct {
	Name      string       `json:"name"`
	Keys      []string     `json:"keys"`
	Cookie    string       `json:"cookie"`
	Transport string       `json:"transport"`
	Now       int64        `json:"now"`
	Value     string       `json:"value"`
	Also      Reason       `json:"also,omitempty"` // a later rule the value breaks too
	Sealed    *sealedInput `json:"sealed,omitempty"`
}

// sealedInput records how an authentic invalid value was made: value is
// exactly the seal of plaintext under key with this header, nonce, name
// and, from version 2, transport.
type sealedInput struct {
	Key       string `json:"key"`
	Version   int    `json:"version"`
	KeyID     string `json:"key_id"`
	Nonce     string `json:"nonce"`
	Cookie    string `json:"cookie"`
	Transport string `json:"transport"`
	Plaintext string `json:"plaintext"`
}

// specFromPayload converts p to specPlain, with nil for empty sections.
func specFromPayload(p *payload) specPlain {
	s := specPlain{issued: p.issuedAt, expires: p.expiresAt, renewed: p.renewedAt, id: bytes.Clone(p.id[:])}
	if p.persistent {
		s.flags = flagPersist
	}
	if p.checkedAt > p.issuedAt {
		s.flags |= flagChecked
		s.checked = p.checkedAt
	}
	for _, e := range p.entries {
		s.entries = append(s.entries, vectorRecord{Key: e.key, JSON: string(e.value)})
	}
	for _, e := range p.flashes {
		s.flashes = append(s.flashes, vectorRecord{Key: e.key, JSON: string(e.value)})
	}
	return s
}

// payloadFromSpec converts s to a payload; it ignores undefined flag bits.
func payloadFromSpec(s specPlain) *payload {
	p := &payload{issuedAt: s.issued, expiresAt: s.expires, renewedAt: s.renewed, checkedAt: s.issued,
		persistent: s.flags&flagPersist != 0}
	if s.flags&flagChecked != 0 {
		p.checkedAt = s.checked
	}
	copy(p.id[:], s.id)
	for _, r := range s.entries {
		p.entries = append(p.entries, entry{key: r.Key, value: []byte(r.JSON)})
	}
	for _, r := range s.flashes {
		p.flashes = append(p.flashes, entry{key: r.Key, value: []byte(r.JSON)})
	}
	return p
}

func marshalVectors(tb testing.TB, vf vectorFile) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(vf); err != nil {
		tb.Fatalf("encoding vectors: %v", err)
	}
	return buf.Bytes()
}

// loadVectors reads testdata/vectors.json.
func loadVectors(tb testing.TB) vectorFile {
	tb.Helper()
	data, err := os.ReadFile(vectorsPath)
	if err != nil {
		tb.Fatalf("reading vectors: %v", err)
	}
	var vf vectorFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&vf); err != nil {
		tb.Fatalf("decoding %s: %v", vectorsPath, err)
	}
	if len(vf.Valid) == 0 || len(vf.Invalid) == 0 {
		tb.Fatalf("%s: got %d valid and %d invalid groups, want some of each", vectorsPath, len(vf.Valid), len(vf.Invalid))
	}
	return vf
}

func decodeHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatalf("hex %q: %v", s, err)
	}
	return b
}

// vectorRing parses a vector's base64url keys into secrets and a ring.
func vectorRing(tb testing.TB, keys []string) ([][]byte, *KeyRing) {
	tb.Helper()
	secrets := make([][]byte, len(keys))
	for i, k := range keys {
		s, err := base64.RawURLEncoding.Strict().DecodeString(k)
		if err != nil {
			tb.Fatalf("key %d: %v", i, err)
		}
		secrets[i] = s
	}
	ring, err := NewKeyRing(secrets...)
	if err != nil {
		tb.Fatalf("NewKeyRing(vector keys): got %v, want nil", err)
	}
	return secrets, ring
}

func (v validVector) spec(tb testing.TB) specPlain {
	s := specPlain{issued: v.IssuedAt, expires: v.ExpiresAt, renewed: v.RenewedAt, id: decodeHex(tb, v.SessionID),
		entries: v.Entries, flashes: v.Flashes}
	if v.Persistent {
		s.flags = flagPersist
	}
	if v.RevalidatedAt != nil {
		s.flags |= flagChecked
		s.checked = *v.RevalidatedAt
	}
	return s
}

// vectorTransport returns the transport a vector names.
func vectorTransport(tb testing.TB, name string) transport {
	tb.Helper()
	b, ok := transports[name]
	if !ok {
		tb.Fatalf("transport %q: want cookie or token", name)
	}
	return transport(b)
}

// checkInspect checks that KeyRing.Inspect reports a valid vector's fields.
func checkInspect(t *testing.T, ring *KeyRing, v validVector, s specPlain, now time.Time) {
	t.Helper()
	c, err := ring.Inspect(v.Cookie, v.Value, now)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	want := &Contents{
		Version: v.Version, Transport: v.Transport, KeyID: ring.keys[v.SealedWith].idString(), Primary: v.SealedWith == 0,
		IssuedAt: time.Unix(s.issued, 0), ExpiresAt: time.Unix(s.expires, 0), RenewedAt: time.Unix(s.renewed, 0),
		SessionID: b64url(s.id), Persistent: s.flags&flagPersist != 0, Cookies: 1,
		Values: map[string]json.RawMessage{}, Flashes: []Flash{},
	}
	if v.RevalidatedAt != nil {
		want.RevalidatedAt = time.Unix(*v.RevalidatedAt, 0)
	}
	for _, e := range s.entries {
		want.Values[e.Key] = json.RawMessage(e.JSON)
	}
	for _, f := range s.flashes {
		want.Flashes = append(want.Flashes, Flash{Kind: f.Key, Message: json.RawMessage(f.JSON)})
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Inspect:\ngot  %+v\nwant %+v", c, want)
	}
}

func TestVectors(t *testing.T) {
	generated := marshalVectors(t, buildVectors())
	if *update {
		if err := os.WriteFile(vectorsPath, generated, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if onDisk, err := os.ReadFile(vectorsPath); err != nil || !bytes.Equal(onDisk, generated) {
		t.Errorf("%s differs from buildVectors (read error: %v); run go test -run TestVectors -update", vectorsPath, err)
	}
	vf := loadVectors(t)
	if got, want := vf.SkewSeconds, int64(defaultSkew/time.Second); got != want {
		t.Errorf("skew_seconds: got %d, want %d", got, want)
	}
	skew := vf.SkewSeconds
	t.Run("valid", func(t *testing.T) {
		for _, v := range vf.Valid {
			t.Run(v.Name, func(t *testing.T) { checkValidVector(t, v, skew) })
		}
	})
	t.Run("reseal", func(t *testing.T) {
		for _, v := range vf.Reseal {
			t.Run(v.Name, func(t *testing.T) { checkResealVector(t, v, skew) })
		}
	})
	t.Run("invalid", func(t *testing.T) {
		for _, g := range vf.Invalid {
			for _, v := range g.Vectors {
				t.Run(string(g.Reason)+"/"+v.Name, func(t *testing.T) { checkInvalidVector(t, g.Reason, v, skew) })
			}
		}
	})
	if len(vf.Reseal) == 0 {
		t.Errorf("got no re-seal vectors, want some")
	}
	checkGroups(t, vf.Invalid)
}

// checkGroups checks that every rule has a group of vectors, in the order
// of the rules, and that every pair of adjacent rules that one value can
// break has a vector that breaks both. Rules 8 and 9 cannot both be
// broken: expires_at comes after renewed_at, which comes after issued_at.
func checkGroups(t *testing.T, groups []invalidGroup) {
	var reasons []Reason
	pairs := map[[2]Reason]bool{}
	for _, g := range groups {
		if len(g.Vectors) == 0 {
			t.Errorf("group %q: got no vectors, want some", g.Reason)
		}
		reasons = append(reasons, g.Reason)
		for _, v := range g.Vectors {
			if v.Also != "" {
				pairs[[2]Reason{g.Reason, v.Also}] = true
			}
		}
	}
	if !reflect.DeepEqual(reasons, allReasons) {
		t.Errorf("invalid groups: got %q, want %q", reasons, allReasons)
	}
	for i := range len(allReasons) - 1 {
		pair := [2]Reason{allReasons[i], allReasons[i+1]}
		if !pairs[pair] && pair != [2]Reason{ReasonFuture, ReasonExpired} {
			t.Errorf("no vector breaks both %q and %q; want one, in the group of %[1]q", pair[0], pair[1])
		}
	}
}

func checkValidVector(t *testing.T, v validVector, skew int64) {
	secrets, ring := vectorRing(t, v.Keys)
	if v.SealedWith < 0 || v.SealedWith >= len(secrets) {
		t.Fatalf("sealed_with %d out of range", v.SealedWith)
	}
	s := v.spec(t)
	p := payloadFromSpec(s)
	wantPlain := decodeHex(t, v.Plaintext)
	if got := appendPlain(nil, p); !bytes.Equal(got, wantPlain) {
		t.Errorf("appendPlain:\ngot  %x\nwant %x", got, wantPlain)
	}
	if got := s.bytes(); !bytes.Equal(got, wantPlain) {
		t.Errorf("spec layout:\ngot  %x\nwant %x", got, wantPlain)
	}
	nonce := decodeHex(t, v.Nonce)
	version, tr := byte(v.Version), vectorTransport(t, v.Transport)
	if got := specSealVia(secrets[v.SealedWith], nonce, version, v.Transport, v.Cookie, wantPlain); got != v.Value {
		t.Errorf("spec seal:\ngot  %s\nwant %s", got, v.Value)
	}
	in := specInput{secrets: secrets, cookie: v.Cookie, via: transports[v.Transport], value: v.Value, now: v.Now, skew: skew}
	if got, gotVersion, key, reason := specOpen(in); reason != "" || gotVersion != version || key != v.SealedWith || !equalSpec(got, s) {
		t.Errorf("spec open: got %v, version %d, key %d, reason %q; want %v, version %d, key %d", got, gotVersion, key, reason, s, version, v.SealedWith)
	}
	c := NewCodec(ring, 0)
	k := ring.keys[v.SealedWith]
	switch version {
	case version2:
		if got, err := c.sealVia(v.Cookie, tr, p, k, nonce); err != nil || got != v.Value {
			t.Errorf("sealVia:\ngot  %s, %v\nwant %s, nil", got, err, v.Value)
		}
	case version1:
		if tr != viaCookie {
			t.Fatalf("a version 1 vector for transport %s: version 1 has cookies only", v.Transport)
		}
	default:
		t.Fatalf("version %d: want 1 or 2", version)
	}
	if n := len(v.Cookie) + len(v.Value); n > MaxCookieSize {
		t.Errorf("len(cookie)+len(value): got %d, want <= %d", n, MaxCookieSize)
	}
	now := time.Unix(v.Now, 0)
	opened, key, err := c.openVia(v.Cookie, v.Value, tr, now)
	if err != nil {
		t.Fatalf("open: got %v, want nil", err)
	}
	if key != k || opened.version != version {
		t.Errorf("open: got key %x, version %d; want key %d (%x), version %d", key.id, opened.version, v.SealedWith, k.id, version)
	}
	if gs := specFromPayload(opened); !equalSpec(gs, s) {
		t.Errorf("open:\ngot  %v\nwant %v", gs, s)
	}
	checkInspect(t, ring, v, s, now)
	// Re-sealed, as a newer format or another key makes it, it opens to the same.
	if resealed, err := c.sealVia(v.Cookie, tr, opened, ring.primary(), nonce); err != nil {
		t.Errorf("re-seal: %v", err)
	} else if again, _, err := c.openVia(v.Cookie, resealed, tr, now); err != nil || !equalSpec(specFromPayload(again), s) {
		t.Errorf("re-sealed in version 2: got %v, %v; want %v", again, err, s)
	}
	for i, st := range ring.Stats() {
		want := uint64(0)
		if i == v.SealedWith {
			want = 1
		}
		if i == 0 {
			want++ // the re-sealed value
		}
		if st.Opens != want {
			t.Errorf("Stats()[%d].Opens: got %d, want %d", i, st.Opens, want)
		}
	}
}

func checkInvalidVector(t *testing.T, reason Reason, v invalidVector, skew int64) {
	secrets, ring := vectorRing(t, v.Keys)
	in := specInput{secrets: secrets, cookie: v.Cookie, via: byte(vectorTransport(t, v.Transport)), value: v.Value, now: v.Now, skew: skew}
	if v.Sealed != nil {
		checkAuthentic(t, reason, v)
		in.sealed, in.sealedVersion, in.hasSealed = decodeHex(t, v.Sealed.Plaintext), byte(v.Sealed.Version), true
	}
	if _, _, _, got := specOpen(in); got != reason {
		t.Errorf("spec open: got reason %q, want %q", got, reason)
	}
	if v.Also != "" {
		if slices.Index(allReasons, v.Also) <= slices.Index(allReasons, reason) {
			t.Errorf("also %q: want a rule after %q", v.Also, reason)
		} else if !specBreaks(in, v.Also) {
			t.Errorf("spec: got the value within rule %q, want it broken too", v.Also)
		}
	}
	c := NewCodec(ring, 0)
	p, k, err := c.openVia(v.Cookie, v.Value, vectorTransport(t, v.Transport), time.Unix(v.Now, 0))
	if p != nil || k != nil {
		t.Errorf("open: got payload %v and key %v, want nil", p != nil, k != nil)
	}
	wantInvalid(t, err, reason)
	// Inspect takes either transport, so only a cookie's failure to open
	// as either is its failure too.
	if v.Transport == "cookie" && reason != ReasonAuth {
		_, err := ring.Inspect(v.Cookie, v.Value, time.Unix(v.Now, 0))
		wantInvalid(t, err, reason)
	}
	for i, st := range ring.Stats() {
		if st.Opens != 0 || !st.LastUsed.IsZero() {
			t.Errorf("Stats()[%d] after a rejection: got %d opens at %v, want none", i, st.Opens, st.LastUsed)
		}
	}
}

// checkAuthentic confirms that an invalid vector's value is exactly its
// recorded seal, and that the spec parser agrees about its plaintext.
func checkAuthentic(t *testing.T, reason Reason, v invalidVector) {
	in := v.Sealed
	secret, err := base64.RawURLEncoding.Strict().DecodeString(in.Key)
	if err != nil {
		t.Fatal(err)
	}
	aeadKey, _ := specKeys(secret)
	keyID, nonce, plain := decodeHex(t, in.KeyID), decodeHex(t, in.Nonce), decodeHex(t, in.Plaintext)
	version := byte(in.Version)
	if got := specSealRaw(aeadKey, version, keyID, nonce, specAD(version, keyID, transports[in.Transport], in.Cookie), plain); got != v.Value {
		t.Errorf("value is not the seal of its recorded inputs:\ngot  %s\nwant %s", got, v.Value)
	}
	_, ok := specParse(plain, version)
	switch reason {
	case ReasonPlaintext:
		if ok {
			t.Errorf("spec parser: got plaintext accepted, want rejected")
		}
	case ReasonFuture, ReasonExpired:
		if !ok {
			t.Errorf("spec parser: got plaintext rejected, want accepted")
		}
	}
}

// wantInvalid checks that err is a rejection for reason, by errors.Is and errors.As.
func wantInvalid(tb testing.TB, err error, reason Reason) {
	tb.Helper()
	if !errors.Is(err, ErrInvalid) {
		tb.Errorf("errors.Is(%v, ErrInvalid): got false, want true", err)
	}
	var ie *InvalidError
	if !errors.As(err, &ie) {
		tb.Errorf("errors.As(%v, *InvalidError): got false, want true", err)
	} else if ie.Reason != reason {
		tb.Errorf("Reason: got %q, want %q", ie.Reason, reason)
	}
	if got, want := errors.Is(err, ErrExpired), reason == ReasonExpired; got != want {
		tb.Errorf("errors.Is(%v, ErrExpired): got %v, want %v", err, got, want)
	}
	if errors.Is(err, ErrTooLarge) {
		tb.Errorf("errors.Is(%v, ErrTooLarge): got true, want false", err)
	}
}
