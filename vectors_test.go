package cookiesession

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/chacha20poly1305"
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

// vectorFile is the layout of testdata/vectors.json.
type vectorFile struct {
	Comment     []string       `json:"comment"`
	SkewSeconds int64          `json:"skew_seconds"`
	Valid       []validVector  `json:"valid"`
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

// Transport names in the vectors, and the byte FORMAT.md gives each.
var transports = map[string]byte{"cookie": 0x00, "token": 0x01}

// The functions below implement FORMAT.md from the page alone, without the
// package's code, so that the vectors and the fuzz targets check the
// package against the spec rather than against itself.

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

// specAD is the associated data of FORMAT.md "Cookie value": version 1
// has no transport byte.
func specAD(version byte, keyID []byte, transport byte, name string) []byte {
	ad := append([]byte{version}, keyID...)
	if version != 1 {
		ad = append(ad, transport)
	}
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(name)))
	return append(ad, name...)
}

// specSealRaw seals plain under aeadKey with the given header and associated data.
func specSealRaw(aeadKey []byte, version byte, keyID, nonce, ad, plain []byte) string {
	aead, err := chacha20poly1305.NewX(aeadKey)
	if err != nil {
		panic(err)
	}
	sealed := append([]byte{version}, keyID...)
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
// plaintext of the given version.
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
	if version == 2 {
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

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64urls(secrets ...[]byte) []string {
	s := make([]string, len(secrets))
	for i, k := range secrets {
		s[i] = b64url(k)
	}
	return s
}

// records builds vectorRecords from alternating keys and JSON values.
func records(kv ...string) []vectorRecord {
	r := make([]vectorRecord, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		r = append(r, vectorRecord{Key: kv[i], JSON: kv[i+1]})
	}
	return r
}

// basePlain is the typical session most invalid vectors start from.
func basePlain() specPlain {
	return specPlain{
		issued: vectorT0, renewed: vectorT0 + 3600, expires: vectorT0 + 86400,
		id:      testSessionID("base"),
		flags:   flagPersist,
		entries: records("cart", `[{"sku":"A-1","qty":2}]`, "theme", `"dark"`, "user_id", `42`),
		flashes: records("info", `"Saved."`, "error", `"Card declined."`, "info", `"Welcome back."`),
	}
}

// jsonString returns the JSON text of a string of n 'x' bytes.
func jsonString(n int) string { return `"` + strings.Repeat("x", n) + `"` }

// buildVectors makes testdata/vectors.json with the spec functions above.
func buildVectors() vectorFile {
	k1, k2, k3 := testSecret(1), testSecret(2), testSecret(3)
	const cookie = "__Host-session"
	now := int64(vectorT0 + 7200)

	validVia := func(version byte, transport, name string, keys [][]byte, sealedWith int, cookie string, s specPlain, now int64) validVector {
		nonce := testNonce(name)
		plain := s.bytes()
		v := validVector{
			Name: name, Version: int(version), Transport: transport,
			Keys: b64urls(keys...), SealedWith: sealedWith, Nonce: hex.EncodeToString(nonce),
			Cookie: cookie, IssuedAt: s.issued, ExpiresAt: s.expires, RenewedAt: s.renewed, Now: now,
			SessionID: hex.EncodeToString(s.id), Persistent: s.flags&flagPersist != 0,
			Entries: s.entries, Flashes: s.flashes,
			Plaintext: hex.EncodeToString(plain),
			Value:     specSealVia(keys[sealedWith], nonce, version, transport, cookie, plain),
		}
		if s.flags&flagChecked != 0 {
			v.RevalidatedAt = &s.checked
		}
		if v.Entries == nil {
			v.Entries = []vectorRecord{}
		}
		if v.Flashes == nil {
			v.Flashes = []vectorRecord{}
		}
		return v
	}
	valid := func(name string, keys [][]byte, sealedWith int, cookie string, s specPlain, now int64) validVector {
		return validVia(1, "cookie", name, keys, sealedWith, cookie, s, now)
	}
	// authenticVia seals plain with secret under the header (version,
	// keyID) for sealFor and sealVia, and has it received as cookie by via.
	authenticVia := func(name string, keys [][]byte, cookie, via string, now int64, secret []byte, version byte, keyID []byte, sealFor, sealVia string, plain []byte) invalidVector {
		aeadKey, _ := specKeys(secret)
		nonce := testNonce(name)
		return invalidVector{
			Name: name, Keys: b64urls(keys...), Cookie: cookie, Transport: via, Now: now,
			Value: specSealRaw(aeadKey, version, keyID, nonce, specAD(version, keyID, transports[sealVia], sealFor), plain),
			Sealed: &sealedInput{
				Key: b64url(secret), Version: int(version), KeyID: hex.EncodeToString(keyID),
				Nonce: hex.EncodeToString(nonce), Cookie: sealFor, Transport: sealVia, Plaintext: hex.EncodeToString(plain),
			},
		}
	}
	// authentic is authenticVia for a cookie sealed and received as one.
	authentic := func(name string, keys [][]byte, cookie string, now int64, secret []byte, version byte, keyID []byte, sealFor string, plain []byte) invalidVector {
		return authenticVia(name, keys, cookie, "cookie", now, secret, version, keyID, sealFor, "cookie", plain)
	}
	_, id1 := specKeys(k1)
	_, id2 := specKeys(k2)
	// sealed seals plain under k1 for cookie: the common authentic case.
	sealed := func(name string, plain []byte, now int64) invalidVector {
		return authentic(name, [][]byte{k1}, cookie, now, k1, version1, id1, cookie, plain)
	}
	other := func(name, value string) invalidVector {
		return invalidVector{Name: name, Keys: b64urls(k1), Cookie: cookie, Transport: "cookie", Now: now, Value: value}
	}
	// sealed2 seals plain under k1 in version 2 for cookie, sent as a cookie.
	sealed2 := func(name string, plain []byte, now int64) invalidVector {
		return authenticVia(name, [][]byte{k1}, cookie, "cookie", now, k1, version2, id1, cookie, "cookie", plain)
	}
	base := basePlain()
	baseValue := specSeal(k1, testNonce("base"), cookie, base.bytes())
	baseRaw, _ := base64.RawURLEncoding.DecodeString(baseValue)
	// tamper returns baseValue with f applied to its decoded bytes.
	tamper := func(f func(b []byte) []byte) string {
		return b64url(f(bytes.Clone(baseRaw)))
	}
	// relabel returns base sealed in version 2 for transport via, with its
	// version byte changed to v.
	relabel := func(via string, v byte) string {
		raw, _ := base64.RawURLEncoding.DecodeString(specSealVia(k1, testNonce("base v2 "+via), version2, via, cookie, base.bytes()))
		raw[0] = v
		return b64url(raw)
	}

	vf := vectorFile{
		Comment: []string{
			"Test vectors for cookiesession wire formats v1 and v2 (FORMAT.md). Regenerate with: go test -run TestVectors -update",
			"Keys are base64url secrets, primary first; every key here is a test fixture, sha256(\"cookiesession test key N\").",
			"Nonces, session IDs and plaintexts are hex. An entry's or flash's json is the exact bytes of its value.",
			"valid: sealing the fields in version under keys[sealed_with] with the nonce, for cookie and transport, gives plaintext and value; opening value received by transport at now gives the fields back. revalidated_at is present when flag 0x02 is set.",
			"invalid: opening value for cookie, received by transport, at now with the ring keys must fail with the group's reason. Where sealed is given, value is exactly that seal, so only the rule named by the reason rejects it.",
		},
		SkewSeconds: int64(defaultSkew / time.Second),
	}

	// Valid vectors.
	empty := specPlain{issued: vectorT0, renewed: vectorT0, expires: vectorT0 + 3600, id: testSessionID("empty")}
	unicode := base
	unicode.entries = records("Zebra", `"uppercase sorts first"`, "apple", `{"é":"\u00e9","n":[1,2.5,null,true]}`,
		"café", `"naïve ☕"`, "ключ", `"значение"`, "🍪", `"🍪"`)
	longKey := base
	longKey.entries = records(strings.Repeat("k", maxKeyLen), `"a key of 255 bytes"`)
	codecShape := specPlain{issued: vectorT0, renewed: vectorT0, expires: vectorT0 + 86400, id: testSessionID("codec"),
		flags: flagPersist, entries: records(codecEntry, `{"theme":"dark","lang":"en"}`)}
	largest := specPlain{issued: vectorT0, renewed: vectorT0, expires: vectorT0 + 86400, id: testSessionID("largest")}
	largest.entries = records("blob", jsonString(3026-45-3-4-2)) // 3026 bytes of plaintext: 4095 of value
	skewLimit := base
	skewLimit.issued, skewLimit.renewed = now+60, now+60
	before1970 := specPlain{issued: -86400, renewed: -1, expires: 0, id: testSessionID("1970"),
		entries: records("epoch", `"before"`)}
	flashesOnly := specPlain{issued: vectorT0, renewed: vectorT0, expires: vectorT0 + 600, id: testSessionID("flashes"),
		flashes: records("info", `"one"`, "info", `"two"`, "warning", `"three"`, "info", `"four"`)}
	vf.Valid = []validVector{
		valid("session with entries and flashes", [][]byte{k1}, 0, cookie, base, now),
		valid("empty session, not persistent", [][]byte{k1}, 0, cookie, empty, vectorT0),
		valid("ring new,old: sealed with the primary", [][]byte{k2, k1}, 0, cookie, base, now),
		valid("ring new,old: sealed with the old key, opens with it", [][]byte{k2, k1}, 1, cookie, base, now),
		valid("ring of three keys: sealed with the last", [][]byte{k3, k2, k1}, 2, cookie, base, now),
		valid("empty cookie name", [][]byte{k1}, 0, "", base, now),
		valid("non-ASCII keys and values, bytewise key order", [][]byte{k1}, 0, cookie, unicode, now),
		valid("key of 255 bytes", [][]byte{k1}, 0, cookie, longKey, now),
		valid("Codec.Encode shape: one entry named value", [][]byte{k1}, 0, "prefs", codecShape, vectorT0+1),
		valid("largest value for cookie name s: 4096 bytes with the name", [][]byte{k1}, 0, "s", largest, vectorT0),
		valid("issued at the skew limit, 60 seconds ahead", [][]byte{k1}, 0, cookie, skewLimit, now),
		valid("last second before expiry", [][]byte{k1}, 0, cookie, base, base.expires-1),
		valid("times before 1970 are two's complement", [][]byte{k1}, 0, cookie, before1970, -1),
		valid("flashes only, kinds repeat in insertion order", [][]byte{k1}, 0, cookie, flashesOnly, vectorT0),
	}
	revalidated := base
	revalidated.flags |= flagChecked
	revalidated.checked = vectorT0 + 1800
	checkedAtRenewal := empty
	checkedAtRenewal.entries = records("user_id", `42`)
	checkedAtRenewal.flags = flagChecked
	checkedAtRenewal.renewed, checkedAtRenewal.checked = vectorT0+1, vectorT0+1
	largest2 := largest
	largest2.id = testSessionID("largest v2")
	v2 := func(name string, keys [][]byte, sealedWith int, cookie string, s specPlain, now int64) validVector {
		return validVia(2, "cookie", name, keys, sealedWith, cookie, s, now)
	}
	token := func(name string, keys [][]byte, sealedWith int, cookie string, s specPlain, now int64) validVector {
		return validVia(2, "token", name, keys, sealedWith, cookie, s, now)
	}
	vf.Valid = append(vf.Valid,
		v2("v2 cookie: session with entries and flashes", [][]byte{k1}, 0, cookie, base, now),
		v2("v2 cookie: empty session, not persistent", [][]byte{k1}, 0, cookie, empty, vectorT0),
		v2("v2 cookie: ring new,old, sealed with the old key", [][]byte{k2, k1}, 1, cookie, base, now),
		v2("v2 cookie: revalidated half an hour after issue", [][]byte{k1}, 0, cookie, revalidated, now),
		v2("v2 cookie: revalidated in the second it was renewed", [][]byte{k1}, 0, cookie, checkedAtRenewal, vectorT0+1),
		v2("v2 cookie: non-ASCII keys and values", [][]byte{k1}, 0, cookie, unicode, now),
		v2("v2 cookie: Codec.Encode shape", [][]byte{k1}, 0, "prefs", codecShape, vectorT0+1),
		v2("v2 cookie: largest value for cookie name s", [][]byte{k1}, 0, "s", largest2, vectorT0),
		v2("v2 cookie: times before 1970", [][]byte{k1}, 0, cookie, before1970, -1),
		token("v2 token: session with entries and flashes", [][]byte{k1}, 0, cookie, base, now),
		token("v2 token: revalidated, ring of three keys, sealed with the last", [][]byte{k3, k2, k1}, 2, cookie, revalidated, now),
		token("v2 token: empty cookie name", [][]byte{k1}, 0, "", base, now),
	)

	// Too long: checked before anything else.
	overLimit := largest
	overLimit.entries = records("blob", jsonString(3027-45-3-4-2)) // one plaintext byte more than the valid vector
	longName := strings.Repeat("n", 4000)
	tooLong := []invalidVector{
		other("4097 bytes with the name, all base64 letters", strings.Repeat("A", MaxCookieSize+1-len(cookie))),
		other("4097 bytes and malformed: length wins", strings.Repeat("=", MaxCookieSize+1-len(cookie))),
		authentic("authentic, one plaintext byte over the limit for cookie name s", [][]byte{k1}, "s", vectorT0, k1, version1, id1, "s", overLimit.bytes()),
		authentic("authentic, but the 4000-byte cookie name leaves no room", [][]byte{k1}, longName, now, k1, version1, id1, longName, base.bytes()),
		authenticVia("v2 token, one plaintext byte over the limit for cookie name s", [][]byte{k1}, "s", "token", vectorT0, k1, version2, id1, "s", "token", overLimit.bytes()),
	}

	// Malformed: a source value whose encoding has '-' and '_' and unused bits.
	msrc := specPlain{issued: vectorT0, renewed: vectorT0 + 3600, expires: vectorT0 + 86400, id: testSessionID("malformed")}
	for k := 0; ; k++ {
		msrc.entries = records("msg", jsonString(k))
		if (sealedMin+len(msrc.bytes()))%3 == 1 { // 4 unused bits in the last character
			break
		}
	}
	var mvalue, mname string
	for i := 0; ; i++ {
		mname = fmt.Sprintf("malformed source %d", i)
		mvalue = specSeal(k1, testNonce(mname), cookie, msrc.bytes())
		if strings.Contains(mvalue, "-") && strings.Contains(mvalue, "_") {
			break
		}
	}
	mbytes, _ := base64.RawURLEncoding.DecodeString(mvalue)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, mvalue[len(mvalue)-1])
	mid := len(mvalue) / 2
	malformed := []invalidVector{
		other("padded", base64.URLEncoding.EncodeToString(mbytes)),
		other("standard alphabet", base64.RawStdEncoding.EncodeToString(mbytes)),
		other("standard alphabet, padded", base64.StdEncoding.EncodeToString(mbytes)),
		other("one = appended", mvalue+"="),
		other("non-zero unused bits in the last character", mvalue[:len(mvalue)-1]+string(alphabet[last|1])),
		other("CR LF inside", mvalue[:mid]+"\r\n"+mvalue[mid:]),
		other("CR inside", mvalue[:mid]+"\r"+mvalue[mid:]),
		other("LF at the end", mvalue+"\n"),
		other("space inside", mvalue[:mid]+" "+mvalue[mid:]),
		other("tab at the start", "\t"+mvalue),
		other("double quotes around it", `"`+mvalue+`"`),
		other("percent-encoded dash", strings.Replace(mvalue, "-", "%2D", 1)),
		other("dot inside", mvalue[:mid]+"."+mvalue[mid:]),
		other("NUL inside", mvalue[:mid]+"\x00"+mvalue[mid:]),
		other("non-ASCII letter inside", mvalue[:mid]+"é"+mvalue[mid:]),
		other("length 1 modulo 4", mvalue[:len(mvalue)-(len(mvalue)%4+3)]),
	}

	// Too short: under 45 decoded bytes, whatever the bytes say.
	tooShort := []invalidVector{
		other("empty", ""),
		other("one byte, the version", b64url([]byte{version1})),
		other("header only: version, key ID, nonce", tamper(func(b []byte) []byte { return b[:headerSize] })),
		other("44 bytes: header and 15 bytes of tag", tamper(func(b []byte) []byte { return b[:sealedMin-1] })),
		other("44 bytes with an unknown version: length wins", tamper(func(b []byte) []byte { b[0] = 2; return b[:sealedMin-1] })),
		other("44 bytes with an unknown key ID: length wins", tamper(func(b []byte) []byte { b[1] ^= 0xff; return b[:sealedMin-1] })),
	}

	// Unknown version, or a version the transport does not have.
	future3 := authentic("authentic under version 3 in header and associated data", [][]byte{k1}, cookie, now, k1, 3, id1, cookie, base.bytes())
	v1Token := authentic("version 1, received as a token", [][]byte{k1}, cookie, now, k1, version1, id1, cookie, base.bytes())
	v1Token.Transport = "token"
	unknownVersion := []invalidVector{
		other("version 0x00", tamper(func(b []byte) []byte { b[0] = 0; return b })),
		other("version 0x03", tamper(func(b []byte) []byte { b[0] = 3; return b })),
		other("version 0xff", tamper(func(b []byte) []byte { b[0] = 0xff; return b })),
		future3,
		v1Token,
		{Name: "v2 token relabelled as version 1, received as a token", Keys: b64urls(k1), Cookie: cookie, Transport: "token", Now: now, Value: relabel("token", version1)},
	}

	// Unknown key.
	_, id3 := specKeys(k3)
	unknownKey := []invalidVector{
		authentic("sealed with a key not in the ring", [][]byte{k1, k2}, cookie, now, k3, version1, id3, cookie, base.bytes()),
		authenticVia("v2 token sealed with a key not in the ring", [][]byte{k1, k2}, cookie, "token", now, k3, version2, id3, cookie, "token", base.bytes()),
		authentic("sealed with the old key after it left the ring", [][]byte{k2}, cookie, now, k1, version1, id1, cookie, base.bytes()),
		other("key ID 00000000", tamper(func(b []byte) []byte { copy(b[1:], []byte{0, 0, 0, 0}); return b })),
		other("key ID ffffffff", tamper(func(b []byte) []byte { copy(b[1:], []byte{0xff, 0xff, 0xff, 0xff}); return b })),
	}

	// Authentication: the tag does not verify.
	wrongName := func(name, sealFor, openAs string) invalidVector {
		return authentic(name, [][]byte{k1}, openAs, now, k1, version1, id1, sealFor, base.bytes())
	}
	aeadKey1, _ := specKeys(k1)
	noPrefix := append([]byte{version1}, id1...)
	noPrefix = append(noPrefix, cookie...)
	littleEndian := append([]byte{version1}, id1...)
	littleEndian = binary.LittleEndian.AppendUint16(littleEndian, uint16(len(cookie)))
	littleEndian = append(littleEndian, cookie...)
	variant := func(name string, aeadKey, ad []byte) invalidVector {
		return other(name, specSealRaw(aeadKey, version1, id1, testNonce(name), ad, base.bytes()))
	}
	authentication := []invalidVector{
		wrongName("sealed for __Host-session, opened as session", cookie, "session"),
		wrongName("sealed for a, opened as a NUL", "a", "a\x00"),
		wrongName("sealed for a NUL, opened as a", "a\x00", "a"),
		wrongName("sealed for the empty name, opened as NUL", "", "\x00"),
		wrongName("sealed for session, opened as Session", "session", "Session"),
		authentic("routed to one key: sealed with key 1 under key 2's ID", [][]byte{k1, k2}, cookie, now, k1, version1, id2, cookie, base.bytes()),
		other("nonce bit flipped", tamper(func(b []byte) []byte { b[headerSize-1] ^= 0x01; return b })),
		other("ciphertext bit flipped", tamper(func(b []byte) []byte { b[headerSize] ^= 0x80; return b })),
		other("tag bit flipped", tamper(func(b []byte) []byte { b[len(b)-1] ^= 0x01; return b })),
		other("last byte removed", tamper(func(b []byte) []byte { return b[:len(b)-1] })),
		other("a byte appended", tamper(func(b []byte) []byte { return append(b, 0) })),
		variant("secret used as the AEAD key, without HKDF", k1, specAD(version1, id1, 0, cookie)),
		variant("associated data without the name's length", aeadKey1, noPrefix),
		variant("associated data with a little-endian length", aeadKey1, littleEndian),
		variant("associated data without the name", aeadKey1, append([]byte{version1}, id1...)),
		authenticVia("v2 token received as a cookie", [][]byte{k1}, cookie, "cookie", now, k1, version2, id1, cookie, "token", base.bytes()),
		authenticVia("v2 cookie received as a token", [][]byte{k1}, cookie, "token", now, k1, version2, id1, cookie, "cookie", base.bytes()),
		authenticVia("v2 token sealed for another cookie name", [][]byte{k1}, cookie, "token", now, k1, version2, id1, "session", "token", base.bytes()),
		other("v2 cookie sealed with version 1's associated data, no transport byte",
			specSealRaw(aeadKey1, version2, id1, testNonce("v2 without transport"), specAD(version1, id1, 0, cookie), base.bytes())),
		other("v2 cookie sealed with transport byte 0x02",
			specSealRaw(aeadKey1, version2, id1, testNonce("v2 transport 2"), specAD(version2, id1, 2, cookie), base.bytes())),
		other("version 1 value relabelled as version 2", tamper(func(b []byte) []byte { b[0] = version2; return b })),
		other("version 2 cookie relabelled as version 1", relabel("cookie", version1)),
	}

	// Malformed plaintext: authentic, so only the parser can reject them.
	bp := base.bytes()
	fixed := empty
	fixed.renewed = vectorT0 + 3600
	fixed.expires = vectorT0 + 86400
	withEntries := func(kv ...string) []byte { s := base; s.entries = records(kv...); return s.bytes() }
	withFlashes := func(kv ...string) []byte { s := base; s.flashes = records(kv...); return s.bytes() }
	// flagsOf lays s out with flags f, and without revalidated_at whatever
	// f says.
	flagsOf := func(s specPlain, f byte) []byte { b := s.bytes(); b[3*8+idSize] = f; return b }
	withFlags := func(f byte) []byte { return flagsOf(base, f) }
	withTimes := func(issued, renewed, expires int64) []byte {
		s := base
		s.issued, s.renewed, s.expires = issued, renewed, expires
		return s.bytes()
	}
	fixedBytes := fixed.bytes() // 45 bytes: two zero counts
	withChecked := func(t int64) []byte { s := base; s.flags |= flagChecked; s.checked = t; return s.bytes() }
	fixedCheckedPlain := fixed
	fixedCheckedPlain.flags, fixedCheckedPlain.checked = flagChecked, fixed.issued+1
	fixedChecked := fixedCheckedPlain.bytes() // 53 bytes
	one := records("k", `1`)
	oneEntry := func() []byte { s := fixed; s.entries = one; return s.bytes() } // 45 + 5 bytes
	oneFlash := withFlashes("info", `"x"`)
	const entriesAt = 3*8 + idSize + 1 // offset of the entries count
	withCount := func(b []byte, at int, n uint16) []byte {
		b = bytes.Clone(b)
		binary.BigEndian.PutUint16(b[at:], n)
		return b
	}
	future := base
	future.issued, future.renewed = now+3600, now+3600
	future.expires = now + 7200
	expiredBadFlags := base
	expiredBadFlags.flags = 0x04
	plaintext := []invalidVector{
		sealed("empty plaintext", nil, now),
		sealed("44 bytes: one short of the fixed part", fixedBytes[:44], now),
		sealed("no flashes count", fixedBytes[:43], now),
		sealed("a byte after the flashes", append(bytes.Clone(bp), 0), now),
		sealed("a third section count after the flashes", append(bytes.Clone(bp), 0, 0), now),
		sealed("entry keys out of order", withEntries("theme", `"dark"`, "cart", `[]`), now),
		sealed("entry keys repeat", withEntries("theme", `"dark"`, "theme", `"light"`), now),
		sealed("empty entry key", withEntries("", `1`), now),
		sealed("empty flash key", withFlashes("", `"x"`), now),
		sealed("entry key not UTF-8: ff", withEntries("\xff", `1`), now),
		sealed("entry key not UTF-8: overlong NUL", withEntries("\xc0\x80", `1`), now),
		sealed("entry key not UTF-8: surrogate", withEntries("\xed\xa0\x80", `1`), now),
		sealed("entry key not UTF-8: truncated sequence", withEntries("caf\xc3", `1`), now),
		sealed("flash key not UTF-8", withFlashes("\xfe", `"x"`), now),
		sealed("undefined flag bit 0x02", withFlags(0x02), now),
		sealed("undefined flag bit 0x80", withFlags(0x80), now),
		sealed("all flag bits set", withFlags(0xff), now),
		sealed("issued_at after renewed_at", withTimes(vectorT0+3601, vectorT0+3600, vectorT0+86400), now),
		sealed("renewed_at equal to expires_at", withTimes(vectorT0, vectorT0+86400, vectorT0+86400), now),
		sealed("renewed_at after expires_at", withTimes(vectorT0, vectorT0+86401, vectorT0+86400), now),
		sealed("entry count 1, no record", withCount(fixedBytes, 41, 1), now),
		sealed("record header cut short", append(withCount(fixedBytes[:entriesAt+2], entriesAt, 1), 1, 0), now),
		sealed("key runs past the end", oneEntry()[:entriesAt+2+entryHeader], now),
		sealed("value runs past the end", oneEntry()[:entriesAt+2+entryHeader+1], now),
		sealed("entry count 65535 with one record", withCount(oneEntry(), entriesAt, 0xffff), now),
		sealed("flash count 65535, no records", withCount(fixedBytes, entriesAt+2, 0xffff), now),
		sealed("flash count 2 with one record", withCount(oneFlash, len(oneFlash)-2-entryHeader-len("info")-len(`"x"`), 2), now),
		sealed("malformed and issued in the future: malformed wins", flagsOf(future, 0x02), now),
		sealed("malformed and expired: malformed wins", expiredBadFlags.bytes(), base.expires+1),
		sealed("version 1 with revalidated_at (flag 0x02)", revalidated.bytes(), now),
		sealed2("v2: undefined flag bit 0x04", withFlags(0x04), now),
		sealed2("v2: revalidated_at equal to issued_at", withChecked(base.issued), now),
		sealed2("v2: revalidated_at before issued_at", withChecked(base.issued-1), now),
		sealed2("v2: revalidated_at after renewed_at", withChecked(base.renewed+1), now),
		sealed2("v2: flag 0x02 with revalidated_at cut short", fixedChecked[:fixedPlain+checkedSize-1], now),
		sealed2("v2: flag 0x02 without its eight bytes", fixedChecked[:fixedPlain], now),
	}

	// Issued in the future, beyond the 60-second skew.
	ahead := base
	ahead.issued, ahead.renewed = now+61, now+61
	renewedAhead := base
	renewedAhead.issued, renewedAhead.renewed = now, now+61
	renewedAheadChecked := renewedAhead
	renewedAheadChecked.flags |= flagChecked
	renewedAheadChecked.checked = now + 61
	farAhead := base
	farAhead.issued, farAhead.renewed, farAhead.expires = 253402300000, 253402300000, 253402300799
	futureVectors := []invalidVector{
		sealed("issued and renewed 61 seconds ahead", ahead.bytes(), now),
		sealed2("v2: revalidated and renewed 61 seconds ahead", renewedAheadChecked.bytes(), now),
		sealed("renewed 61 seconds ahead", renewedAhead.bytes(), now),
		sealed("issued in year 9999", farAhead.bytes(), now),
	}

	// Expired.
	expired := []invalidVector{
		sealed("now equals expires_at", bp, base.expires),
		sealed2("v2: revalidated, now equals expires_at", revalidated.bytes(), base.expires),
		sealed("one second after expires_at", bp, base.expires+1),
		sealed("ten years later", bp, base.expires+10*365*86400),
	}

	vf.Invalid = []invalidGroup{
		{ReasonTooLong, tooLong},
		{ReasonMalformed, malformed},
		{ReasonTooShort, tooShort},
		{ReasonVersion, unknownVersion},
		{ReasonUnknownKey, unknownKey},
		{ReasonAuth, authentication},
		{ReasonPlaintext, plaintext},
		{ReasonFuture, futureVectors},
		{ReasonExpired, expired},
	}
	return vf
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
		SessionID: b64url(s.id), Persistent: s.flags&flagPersist != 0,
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
	t.Run("valid", func(t *testing.T) {
		for _, v := range vf.Valid {
			t.Run(v.Name, func(t *testing.T) { checkValidVector(t, v) })
		}
	})
	t.Run("invalid", func(t *testing.T) {
		for _, g := range vf.Invalid {
			for _, v := range g.Vectors {
				t.Run(string(g.Reason)+"/"+v.Name, func(t *testing.T) { checkInvalidVector(t, g.Reason, v) })
			}
		}
	})
	// Every reason has vectors, in the order of the rules.
	var reasons []Reason
	for _, g := range vf.Invalid {
		if len(g.Vectors) == 0 {
			t.Errorf("group %q: got no vectors, want some", g.Reason)
		}
		reasons = append(reasons, g.Reason)
	}
	if !reflect.DeepEqual(reasons, allReasons) {
		t.Errorf("invalid groups: got %q, want %q", reasons, allReasons)
	}
}

func checkValidVector(t *testing.T, v validVector) {
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

func checkInvalidVector(t *testing.T, reason Reason, v invalidVector) {
	_, ring := vectorRing(t, v.Keys)
	if v.Sealed != nil {
		checkAuthentic(t, reason, v)
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
