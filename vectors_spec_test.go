package cookiesession

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/chacha20poly1305"
)

// The functions of this file implement FORMAT.md from the page alone,
// without the package's code, so that the vectors and the fuzz targets
// check the package against the spec rather than against itself. They
// seal, open and re-seal; the vectors pin what they write.

// transports are the transport names of the vectors, and the byte
// FORMAT.md gives each.
var transports = map[string]byte{"cookie": 0x00, "token": 0x01}

// specKeys derives a secret's AEAD key and key ID (FORMAT.md "Keys").
func specKeys(secret []byte) (aeadKey, keyID []byte) {
	aeadKey, err := hkdf.Key(sha256.New, secret, nil, "cookiesession v1 aead key", 32)
	if err != nil {
		panic(err)
	}
	keyID, err = hkdf.Key(sha256.New, secret, nil, "cookiesession v1 key id", 4)
	if err != nil {
		panic(err)
	}
	return aeadKey, keyID
}

// specAD is the associated data of FORMAT.md "Cookie value" for versions
// 1 and 2: version 1 has no transport byte. specAD3 is version 3's.
func specAD(version byte, keyID []byte, transport byte, name string) []byte {
	ad := append([]byte{version}, keyID...)
	if version != 1 {
		ad = append(ad, transport)
	}
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(name)))
	return append(ad, name...)
}

// specSealRaw seals plain under aeadKey with the header (version, keyID)
// and the associated data.
func specSealRaw(aeadKey []byte, version byte, keyID, nonce, ad, plain []byte) string {
	return specSealHeader(aeadKey, append([]byte{version}, keyID...), nonce, ad, plain)
}

// specSealHeader seals plain under aeadKey with the header before the
// nonce, and the associated data.
func specSealHeader(aeadKey, header, nonce, ad, plain []byte) string {
	aead, err := chacha20poly1305.NewX(aeadKey)
	if err != nil {
		panic(err)
	}
	sealed := append([]byte(nil), header...)
	sealed = append(sealed, nonce...)
	sealed = aead.Seal(sealed, nonce, plain, ad)
	return base64.RawURLEncoding.EncodeToString(sealed)
}

// specSeal seals plain under secret in version 1, for the cookie called name.
func specSeal(secret, nonce []byte, name string, plain []byte) string {
	return specSealVia(secret, nonce, 1, "cookie", name, plain)
}

// specSealVia seals plain under secret in the given version, for the
// cookie called name travelling by transport.
func specSealVia(secret, nonce []byte, version byte, transport, name string, plain []byte) string {
	aeadKey, keyID := specKeys(secret)
	return specSealRaw(aeadKey, version, keyID, nonce, specAD(version, keyID, transports[transport], name), plain)
}

// specPlain is a plaintext's fields; bytes lays them out without checking
// them. checked is written when flags has bit 0x02.
type specPlain struct {
	issued, expires, renewed int64
	checked                  int64
	id                       []byte
	flags                    byte
	entries, flashes         []vectorRecord
}

func (s specPlain) bytes() []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(s.issued))
	b = binary.BigEndian.AppendUint64(b, uint64(s.expires))
	b = binary.BigEndian.AppendUint64(b, uint64(s.renewed))
	b = append(b, s.id...)
	b = append(b, s.flags)
	if s.flags&0x02 != 0 {
		b = binary.BigEndian.AppendUint64(b, uint64(s.checked))
	}
	for _, section := range [][]vectorRecord{s.entries, s.flashes} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(section)))
		b = append(b, recordBlob(section)...)
	}
	return b
}

// recordBlob lays records out one after another, as a section holds them.
func recordBlob(rs []vectorRecord) []byte {
	var b []byte
	for _, r := range rs {
		b = append(b, byte(len(r.Key)))
		b = binary.BigEndian.AppendUint16(b, uint16(len(r.JSON)))
		b = append(b, r.Key...)
		b = append(b, r.JSON...)
	}
	return b
}

// specParse applies FORMAT.md's "Malformed plaintext" rule (rule 7) to a
// plaintext of the given version; version 3's is version 2's.
func specParse(b []byte, version byte) (s specPlain, ok bool) {
	if len(b) < 45 {
		return s, false
	}
	s.issued = int64(binary.BigEndian.Uint64(b[0:]))
	s.expires = int64(binary.BigEndian.Uint64(b[8:]))
	s.renewed = int64(binary.BigEndian.Uint64(b[16:]))
	s.id = bytes.Clone(b[24:40])
	s.flags = b[40]
	maxFlags := byte(0x01)
	if version >= 2 {
		maxFlags = 0x03
	}
	if s.flags > maxFlags || s.issued > s.renewed || s.renewed >= s.expires {
		return s, false
	}
	rest := b[41:]
	if s.flags&0x02 != 0 {
		if len(rest) < 8+4 {
			return s, false
		}
		s.checked = int64(binary.BigEndian.Uint64(rest))
		if s.checked <= s.issued || s.checked > s.renewed {
			return s, false
		}
		rest = rest[8:]
	}
	for section := range 2 {
		if len(rest) < 2 {
			return s, false
		}
		n := int(binary.BigEndian.Uint16(rest))
		rest = rest[2:]
		var recs []vectorRecord
		for range n {
			if len(rest) < 3 {
				return s, false
			}
			kl, vl := int(rest[0]), int(binary.BigEndian.Uint16(rest[1:]))
			rest = rest[3:]
			if kl == 0 || len(rest) < kl+vl {
				return s, false
			}
			key := string(rest[:kl])
			// Go compares strings by their bytes: FORMAT.md's order.
			if !utf8.ValidString(key) || (section == 0 && len(recs) > 0 && recs[len(recs)-1].Key >= key) {
				return s, false
			}
			recs = append(recs, vectorRecord{Key: key, JSON: string(rest[kl : kl+vl])})
			rest = rest[kl+vl:]
		}
		if section == 0 {
			s.entries = recs
		} else {
			s.flashes = recs
		}
	}
	return s, len(rest) == 0
}

// specInput is what an opener is given.
type specInput struct {
	secrets [][]byte // the key ring, primary first
	cookie  string   // the session's cookie name
	via     byte     // the transport the value was received by
	value   string   // the value, if cookies is nil
	now     int64    // the opener's clock, in Unix seconds
	skew    int64    // how far ahead of now a time may be, in seconds

	// cookies, if not nil, are the cookies of the request, in its order,
	// and max the most cookies the opener reads, chunks included; an
	// opener with max 0 does not read chunks.
	cookies []cookiePair
	max     int

	// sealed is, for an authentic value that does not open here (sealed
	// for another name, say), the plaintext and version it was sealed
	// with, so that rules 7 to 9 can judge it too.
	sealed        []byte
	sealedVersion byte
	hasSealed     bool
}

// specValue is a value as the rules see it: joined from chunks, decoded,
// routed to a secret and opened, as far as each goes.
type specValue struct {
	specInput
	chunks    Reason // ReasonChunks if a chunk rule is broken
	count     int    // the number of chunks value was joined from; 0 if received whole
	canonical bool   // the value is canonical unpadded base64url
	raw       []byte // its bytes, if canonical
	key       int    // the index of the secret with the value's key ID; -1 if none
	plain     []byte // the plaintext, if opened
	opened    bool   // that secret opens the value
}

func newSpecValue(in specInput) *specValue {
	v := &specValue{specInput: in, key: -1}
	v.value, v.count, v.chunks = specJoin(in)
	raw, err := base64.RawURLEncoding.Strict().DecodeString(v.value)
	if err != nil || base64.RawURLEncoding.EncodeToString(raw) != v.value {
		return v
	}
	v.canonical, v.raw = true, raw
	if len(raw) < 1+4 {
		return v
	}
	for i, s := range in.secrets {
		if _, id := specKeys(s); bytes.Equal(id, raw[1:5]) {
			v.key = i
			v.plain, v.opened = v.openWith(s)
			break
		}
	}
	return v
}

// openWith opens the value with secret: header, nonce, ciphertext and tag
// as they stand, the associated data for the name and transport it was
// received by.
func (v *specValue) openWith(secret []byte) ([]byte, bool) {
	if len(v.raw) < v.minLen() {
		return nil, false
	}
	aeadKey, _ := specKeys(secret)
	aead, err := chacha20poly1305.NewX(aeadKey)
	if err != nil {
		panic(err)
	}
	header, ad := 5, specAD(v.raw[0], v.raw[1:5], v.via, v.cookie)
	if v.raw[0] == 3 {
		header, ad = 6, specAD3(v.raw[1:5], v.raw[5], v.via, v.cookie)
	}
	plain, err := aead.Open(nil, v.raw[header:header+24], v.raw[header+24:], ad)
	return plain, err == nil
}

// minLen is the fewest bytes a value has, header and tag (rule 3): 45, or
// 46 when its first byte, told by its first two characters of the
// alphabet, is 0x03.
func (v *specValue) minLen() int {
	var first []byte
	for _, c := range []byte(v.value) {
		if alphabetLen(string(c)) == 1 {
			first = append(first, c)
		}
	}
	if len(first) >= 2 {
		if b, _ := base64.RawURLEncoding.DecodeString(string(first[:2])); len(b) == 1 && b[0] == 3 {
			return 46
		}
	}
	return 45
}

// plaintext returns the plaintext that rules 7 to 9 judge, and its version.
func (v *specValue) plaintext() (b []byte, version byte, ok bool) {
	if v.opened {
		return v.plain, v.raw[0], true
	}
	return v.sealed, v.sealedVersion, v.hasSealed
}

// times returns the plaintext's issued_at, expires_at and renewed_at, read
// whether or not the rest of it is well formed.
func (v *specValue) times() (issued, expires, renewed int64, ok bool) {
	b, _, ok := v.plaintext()
	if !ok || len(b) < 24 {
		return 0, 0, 0, false
	}
	u := binary.BigEndian.Uint64
	return int64(u(b[0:])), int64(u(b[8:])), int64(u(b[16:])), true
}

// specRules are FORMAT.md's MUST-reject rules, in their order, the chunk
// rules first. Each says whether a value breaks its rule, judged as if the
// rules before it had passed where that can be told: a value is what the
// request's chunks join to, as far as they go; a value that is not
// canonical is too short if its characters of the alphabet carry fewer
// bytes than a header and tag; a value whose key ID is in no secret fails
// authentication if no secret opens it; rules 7 to 9 judge the plaintext
// it opens to, or else the one it was sealed with.
var specRules = []struct {
	reason Reason
	broken func(v *specValue) bool
}{
	{ReasonChunks, func(v *specValue) bool { return v.chunks != "" }},
	{ReasonTooLong, func(v *specValue) bool { return len(v.cookie)+len(v.value) > 4096*max(v.count, 1) }},
	{ReasonMalformed, func(v *specValue) bool { return !v.canonical }},
	{ReasonTooShort, func(v *specValue) bool { return alphabetLen(v.value)*6/8 < v.minLen() }},
	{ReasonVersion, func(v *specValue) bool {
		if len(v.raw) < 1 {
			return false
		}
		switch joined := v.count > 0; v.raw[0] {
		case 1:
			return v.via != 0 || joined
		case 2:
			return joined
		case 3:
			return !joined || len(v.raw) < 6 || int(v.raw[5]) != v.count
		}
		return true
	}},
	{ReasonUnknownKey, func(v *specValue) bool { return len(v.raw) >= 5 && v.key < 0 }},
	{ReasonAuth, func(v *specValue) bool {
		if len(v.raw) < v.minLen() || v.opened {
			return false
		}
		if v.key >= 0 {
			return true // exactly one secret is tried
		}
		return !slices.ContainsFunc(v.secrets, func(s []byte) bool { _, ok := v.openWith(s); return ok })
	}},
	{ReasonPlaintext, func(v *specValue) bool {
		b, version, ok := v.plaintext()
		if !ok {
			return false
		}
		_, parsed := specParse(b, version)
		return !parsed
	}},
	{ReasonFuture, func(v *specValue) bool {
		issued, _, renewed, ok := v.times()
		return ok && (issued > v.now+v.skew || renewed > v.now+v.skew)
	}},
	{ReasonExpired, func(v *specValue) bool {
		_, expires, _, ok := v.times()
		return ok && v.now >= expires
	}},
}

// alphabetLen counts the characters of s in the base64url alphabet.
func alphabetLen(s string) int {
	n := 0
	for _, c := range []byte(s) {
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' {
			n++
		}
	}
	return n
}

// specBreaks reports whether in's value breaks the rule named by reason,
// judged on its own as specRules say.
func specBreaks(in specInput, reason Reason) bool {
	v := newSpecValue(in)
	for _, r := range specRules {
		if r.reason == reason {
			return r.broken(v)
		}
	}
	panic("no rule for " + string(reason))
}

// specOpen opens in's value, or the session in's cookies carry, as
// FORMAT.md says, from the value alone: the first rule it breaks rejects
// it, with that rule's reason. Otherwise it returns the plaintext's
// fields, the value's version and the index of the secret that opened it.
func specOpen(in specInput) (s specPlain, version byte, key int, reason Reason) {
	in.sealed, in.hasSealed = nil, false
	v := newSpecValue(in)
	for _, r := range specRules {
		if r.broken(v) {
			return s, 0, -1, r.reason
		}
	}
	s, ok := specParse(v.plain, v.raw[0])
	if !v.opened || !ok {
		return s, 0, -1, "no rule rejected a value that does not open"
	}
	return s, v.raw[0], v.key, ""
}

// specReseal is what an opener writes for in's value on its next response
// at in.now (FORMAT.md "Re-sealing"): the session it opens to, sealed under
// the primary secret with nonce for the same name and transport, every
// field kept but renewed_at, which becomes the latest of now, issued_at and
// revalidated_at. A token is sealed in version 2; a cookie in version 2 if
// it fits one cookie, else in version 3, and split by specSplit.
func specReseal(in specInput, nonce []byte) (specPlain, string, Reason) {
	s, _, _, reason := specOpen(in)
	if reason != "" {
		return s, "", reason
	}
	s.renewed = max(in.now, s.issued)
	if s.flags&0x02 != 0 {
		s.renewed = max(s.renewed, s.checked)
	}
	if in.via == 0 {
		_, value, _ := specSealCookie(in.secrets[0], nonce, in.cookie, s.bytes())
		return s, value, ""
	}
	aeadKey, keyID := specKeys(in.secrets[0])
	return s, specSealRaw(aeadKey, 2, keyID, nonce, specAD(2, keyID, in.via, in.cookie), s.bytes()), ""
}

func (s specPlain) String() string {
	return fmt.Sprintf("{issued %d expires %d renewed %d checked %d id %x flags %#x entries %q flashes %q}",
		s.issued, s.expires, s.renewed, s.checked, s.id, s.flags, s.entries, s.flashes)
}

func equalSpec(a, b specPlain) bool {
	norm := func(r []vectorRecord) []vectorRecord {
		if len(r) == 0 {
			return nil
		}
		return r
	}
	a.entries, a.flashes = norm(a.entries), norm(a.flashes)
	b.entries, b.flashes = norm(b.entries), norm(b.flashes)
	return reflect.DeepEqual(a, b)
}

// records builds vectorRecords from alternating keys and JSON values.
func records(kv ...string) []vectorRecord {
	r := make([]vectorRecord, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		r = append(r, vectorRecord{Key: kv[i], JSON: kv[i+1]})
	}
	return r
}

// jsonString returns the JSON text of a string of n 'x' bytes.
func jsonString(n int) string { return `"` + strings.Repeat("x", n) + `"` }
