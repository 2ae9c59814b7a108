package cookiesession

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/chacha20poly1305"
)

// KeySize is the length of every secret in a [KeyRing].
const KeySize = 32

// HKDF-SHA256 labels (the info parameter); the salt is empty.
const (
	labelAEAD  = "cookiesession v1 aead key"
	labelKeyID = "cookiesession v1 key id"
)

// publishedKeys appear in this package's documentation, examples and demo.
// Anyone can forge cookies under them, so ParseKeyRing and NewKeyRing refuse
// them. The first is the demo's development key; see
// [InsecureDevelopmentKeyRing].
var publishedKeys = []string{
	"mIN6cmvhRiRqYnK49OWDOLlAMGG8PKv-56jr70fxlXs", // development key: do not use
	"gTXyJtGrSkHzpva0QdeH0ypJXpDTU-sw_RXf4ZgfwBs", // README "new" key: do not use
	"zF8plbZQN1FDmArCN_8FTAKF0RQI7oN2eMg9BEbVPlM", // README "old" key: do not use
}

// A KeyRing holds the secrets that seal and open cookies. The first key,
// the primary, seals; every key opens. Each key is known by a 4-byte ID
// derived from it, written into every cookie, so a cookie is opened by
// exactly the key that sealed it.
//
// A KeyRing is immutable and safe for concurrent use. It never prints its
// secrets: String, GoString and every fmt verb show key IDs only. It counts,
// per key, the cookies it opened and when it last did, so an operator can
// see when an old key is no longer used and can be dropped; see [KeyRing.Stats].
type KeyRing struct {
	keys []*ringKey // keys[0] is the primary
}

type ringKey struct {
	id       [keyIDSize]byte
	aead     cipher.AEAD
	opens    atomic.Uint64
	lastUsed atomic.Int64 // Unix seconds; 0 if never
}

// KeyStats describes one key of a ring. It holds no secret.
type KeyStats struct {
	ID       string    `json:"id"`                 // the key ID, as 8 hexadecimal digits
	Primary  bool      `json:"primary"`            // whether this key seals new cookies
	Opens    uint64    `json:"opens"`              // cookies opened with this key since the ring was made
	LastUsed time.Time `json:"last_used,omitzero"` // when the last of those was opened, to the second; zero if none
}

// GenerateKey returns a new random secret of [KeySize] bytes. Store it
// base64-encoded, for example in SESSION_KEYS.
func GenerateKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k)
	return k
}

// NewKeyRing returns a ring of the given secrets, the first of which
// becomes the primary. It refuses an empty list, secrets that are not
// [KeySize] bytes, duplicates, secrets that do not look random (one byte
// repeated, short repeating patterns, counting sequences, printable text)
// and the keys published in this package's documentation. Its errors name
// the position of the offending key and never its value.
func NewKeyRing(secrets ...[]byte) (*KeyRing, error) {
	if len(secrets) == 0 {
		return nil, errors.New("cookiesession: key ring needs at least one key")
	}
	r := &KeyRing{keys: make([]*ringKey, 0, len(secrets))}
	for i, s := range secrets {
		if err := checkSecret(s); err != nil {
			return nil, fmt.Errorf("cookiesession: key %d of %d: %w", i+1, len(secrets), err)
		}
		k := deriveKey(s)
		for j, o := range r.keys {
			if bytes.Equal(secrets[j], s) {
				return nil, fmt.Errorf("cookiesession: key %d of %d repeats key %d", i+1, len(secrets), j+1)
			}
			if o.id == k.id {
				return nil, fmt.Errorf("cookiesession: keys %d and %d have the same key ID %x; generate another key", j+1, i+1, k.id)
			}
		}
		r.keys = append(r.keys, k)
	}
	return r, nil
}

// ParseKeyRing parses a comma-separated list of base64-encoded secrets,
// primary first, as found in SESSION_KEYS="new,old". Each key may use the
// standard or the URL alphabet, padded or not; spaces around keys are
// ignored. Then it checks the keys as [NewKeyRing] does.
func ParseKeyRing(s string) (*KeyRing, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("cookiesession: no keys given")
	}
	parts := strings.Split(s, ",")
	secrets := make([][]byte, len(parts))
	for i, p := range parts {
		k, err := decodeKey(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("cookiesession: key %d of %d: %w", i+1, len(parts), err)
		}
		secrets[i] = k
	}
	return NewKeyRing(secrets...)
}

// KeyRingFromEnv parses the environment variable called name (conventionally
// SESSION_KEYS) with [ParseKeyRing]. It fails if the variable is unset or
// empty: there is no silent random key.
func KeyRingFromEnv(name string) (*KeyRing, error) {
	v, ok := os.LookupEnv(name)
	if !ok || strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("cookiesession: environment variable %s is not set; it needs one or more base64 keys of 32 random bytes, such as the output of 'head -c 32 /dev/urandom | base64'", name)
	}
	r, err := ParseKeyRing(v)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, name)
	}
	return r, nil
}

// InsecureDevelopmentKeyRing returns a ring holding this package's published
// development key. Anyone can read and forge cookies sealed under it. It
// exists so that a demo starts with no set-up on a developer's machine;
// never use it for a service that others can reach.
func InsecureDevelopmentKeyRing() *KeyRing {
	k, _ := base64.RawURLEncoding.DecodeString(publishedKeys[0])
	return &KeyRing{keys: []*ringKey{deriveKey(k)}}
}

// Stats reports, primary first, the ID of each key and how often and when
// it last opened a cookie.
func (r *KeyRing) Stats() []KeyStats {
	st := make([]KeyStats, len(r.keys))
	for i, k := range r.keys {
		st[i] = KeyStats{ID: k.idString(), Primary: i == 0, Opens: k.opens.Load()}
		if t := k.lastUsed.Load(); t != 0 {
			st[i].LastUsed = time.Unix(t, 0)
		}
	}
	return st
}

// PrimaryID returns the ID of the key that seals, as 8 hexadecimal digits.
func (r *KeyRing) PrimaryID() string { return r.keys[0].idString() }

// String lists the key IDs, primary first, as "KeyRing[1a2b3c4d 5e6f7a8b]".
func (r *KeyRing) String() string {
	var b strings.Builder
	b.WriteString("KeyRing[")
	for i, k := range r.keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k.idString())
	}
	b.WriteByte(']')
	return b.String()
}

// GoString is String, so %#v shows key IDs only.
func (r *KeyRing) GoString() string { return r.String() }

// Format makes every fmt verb print String, so no verb reveals a secret.
func (r *KeyRing) Format(f fmt.State, _ rune) { f.Write([]byte(r.String())) }

func (r *KeyRing) primary() *ringKey { return r.keys[0] }

// lookup returns the key whose ID is id, or nil.
func (r *KeyRing) lookup(id []byte) *ringKey {
	for _, k := range r.keys {
		if string(k.id[:]) == string(id) {
			return k
		}
	}
	return nil
}

func (k *ringKey) idString() string { return hex.EncodeToString(k.id[:]) }

// used counts an open. lastUsed only moves forward, and is written at most
// once a second, so concurrent opens rarely contend on it.
func (k *ringKey) used(now time.Time) {
	k.opens.Add(1)
	t := now.Unix()
	for {
		last := k.lastUsed.Load()
		if t <= last || k.lastUsed.CompareAndSwap(last, t) {
			return
		}
	}
}

// deriveKey derives the AEAD key and the key ID from a checked secret.
func deriveKey(secret []byte) *ringKey {
	aeadKey, err := hkdf.Key(sha256.New, secret, nil, labelAEAD, chacha20poly1305.KeySize)
	if err != nil {
		panic(err) // unreachable: the output length is fixed and small
	}
	id, err := hkdf.Key(sha256.New, secret, nil, labelKeyID, keyIDSize)
	if err != nil {
		panic(err)
	}
	aead, err := chacha20poly1305.NewX(aeadKey)
	if err != nil {
		panic(err)
	}
	k := &ringKey{aead: aead}
	copy(k.id[:], id)
	return k
}

func decodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty key")
	}
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if !strings.HasSuffix(s, "=") {
		enc = enc.WithPadding(base64.NoPadding)
	}
	k, err := enc.Strict().DecodeString(s)
	if err != nil || enc.EncodedLen(len(k)) != len(s) { // CR and LF are skipped by Decode
		return nil, errors.New("not valid base64")
	}
	return k, nil
}

// checkSecret refuses secrets of the wrong length or that are evidently not
// random. Its errors describe the problem, never the bytes.
func checkSecret(s []byte) error {
	if len(s) != KeySize {
		return fmt.Errorf("got %d bytes, want %d random bytes (GenerateKey makes one)", len(s), KeySize)
	}
	for _, p := range publishedKeys {
		if pk, _ := base64.RawURLEncoding.DecodeString(p); bytes.Equal(pk, s) {
			return errors.New("this key is published in the cookiesession documentation; generate your own")
		}
	}
	if hasShortPeriod(s) || isCountingSequence(s) {
		return errors.New("the key is a repeating pattern, not random bytes")
	}
	if isText(s) {
		return errors.New("the key is printable text, not random bytes; base64-encode GenerateKey's output instead")
	}
	var seen [256]bool
	distinct := 0
	for _, c := range s {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
	}
	if distinct < 16 { // 32 random bytes have about 30 distinct values
		return errors.New("the key has too few distinct bytes to be random")
	}
	return nil
}

// hasShortPeriod reports whether s repeats with a period of at most 16 bytes.
func hasShortPeriod(s []byte) bool {
	for p := 1; p <= 16; p++ {
		if bytes.Equal(s[p:], s[:len(s)-p]) {
			return true
		}
	}
	return false
}

// isCountingSequence reports whether consecutive bytes differ by a constant.
func isCountingSequence(s []byte) bool {
	d := s[1] - s[0]
	for i := 2; i < len(s); i++ {
		if s[i]-s[i-1] != d {
			return false
		}
	}
	return true
}

// isText reports whether s is UTF-8 text: printable characters and
// whitespace, as when a passphrase (with its newline) is base64-encoded.
func isText(s []byte) bool {
	if !utf8.Valid(s) {
		return false
	}
	for _, r := range string(s) {
		if !unicode.IsPrint(r) && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}
