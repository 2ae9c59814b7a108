package cookiesession

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// The layout of testdata/vectors.json, and its reading and writing.

const vectorsPath = "testdata/vectors.json"

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

	// For a cookie opened by an opener that reads chunks: the most cookies
	// it reads, and the cookies value is split over (one if it fits one).
	MaxCookies int          `json:"max_cookies,omitempty"`
	Cookies    []cookiePair `json:"cookies,omitempty"`
}

type invalidGroup struct {
	Reason  Reason          `json:"reason"`
	Vectors []invalidVector `json:"vectors"`
}

type invalidVector struct {
	Name      string   `json:"name"`
	Keys      []string `json:"keys"`
	Cookie    string   `json:"cookie"`
	Transport string   `json:"transport"`
	Now       int64    `json:"now"`
	Value     string   `json:"value"` // empty if Cookies is given

	// For an opener that reads chunks: the most cookies it reads, and,
	// for a request that carries more than Value, its cookies in order.
	MaxCookies int          `json:"max_cookies,omitempty"`
	Cookies    []cookiePair `json:"cookies,omitempty"`

	Also   Reason       `json:"also,omitempty"` // a later rule the value breaks too
	Sealed *sealedInput `json:"sealed,omitempty"`
}

// sealedInput records how an authentic invalid value was made: value, or
// the values of the vector's cookies concatenated, is exactly the seal of
// plaintext under key with this header, nonce, name and, from version 2,
// transport.
type sealedInput struct {
	Key       string `json:"key"`
	Version   int    `json:"version"`
	KeyID     string `json:"key_id"`
	Count     int    `json:"count,omitempty"` // version 3: the count in the header and associated data
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
