package cookiesession

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// buildVectors makes testdata/vectors.json with the spec functions of
// vectors_spec_test.go. It is deterministic: keys, nonces and session IDs
// are hashes of fixed labels, most nonces of the vector's name.
func buildVectors() vectorFile {
	b := newVectorBuilder()
	vf := vectorFile{
		SkewSeconds: int64(defaultSkew / time.Second),
		Valid:       append(b.valid(), b.validChunked()...),
		Reseal:      b.reseal(),
		Invalid: []invalidGroup{
			{ReasonChunks, b.chunks()},
			{ReasonTooLong, b.tooLong()},
			{ReasonMalformed, b.malformed()},
			{ReasonTooShort, b.tooShort()},
			{ReasonVersion, b.unknownVersion()},
			{ReasonUnknownKey, b.unknownKey()},
			{ReasonAuth, b.authentication()},
			{ReasonPlaintext, b.plaintext()},
			{ReasonFuture, b.future()},
			{ReasonExpired, b.expired()},
		},
	}
	vf.Comment = vectorComment(vf)
	return vf
}

// vectorComment is the file's header: what each kind of vector means, and
// how many there are.
func vectorComment(vf vectorFile) []string {
	return []string{
		"Test vectors for cookiesession wire formats v1, v2 and v3 (FORMAT.md). Regenerate with: go test -run TestVectors -update (buildVectors in vectors_build_test.go writes the same file every time).",
		vectorCounts(vf),
		"Keys are base64url secrets, primary first; every key here is a test fixture, sha256(\"cookiesession test key N\").",
		"Nonces, session IDs and plaintexts are hex. An entry's or flash's json is the exact bytes of its value. Times and now are Unix seconds.",
		"transport is how the value travels: cookie (byte 0x00 in the associated data) or token (0x01). skew_seconds is how far ahead of now a time may be (rule 8).",
		"max_cookies, where given, is the most cookies the opener reads, the cookie called cookie and its chunks cookie.1, cookie.2 and on together, by the chunk rules C1 to C3; where absent, the opener reads no chunks, as Codec.Decode, and a value is received whole.",
		"valid: sealing the fields in version under keys[sealed_with] with the nonce, for cookie and transport, gives plaintext and value; opening value received by transport at now gives the fields back. revalidated_at is present when flag 0x02 is set. Where cookies is given, they are the (name, value) pairs a sealer splits value over, one if it fits one cookie, and opening a request that carries them, for an opener that reads max_cookies, gives the fields back; a version 3 value opens only so.",
		"reseal: the fields up to cookies are a valid vector. resealed is what an opener writes for that session on its response at now: the session sealed under keys[0] with resealed.nonce, for the same cookie and transport, in version 2, or, where resealed.cookies is given, as a sealer seals a cookie, split over them; it keeps issued_at, expires_at, revalidated_at, session_id, the persistent flag and every entry and flash byte for byte; renewed_at becomes the latest of now, issued_at and revalidated_at.",
		"invalid: opening value for cookie, received by transport, at now with the ring keys, or where cookies is given (and value is empty) the request that carries those cookies in their order, must fail with the group's reason. Where sealed is given, value, or the values of cookies concatenated, is exactly that seal: plaintext sealed under key with the header version, key_id and in version 3 count, the nonce, and the associated data for cookie, transport and count. Where also is given, the value breaks that later rule too (judged on what the cookies join to, as far as they go), and the group's rule, checked first, must win.",
	}
}

// vectorCounts says how many vectors of each kind vf holds, and of each
// group of invalid vectors; FORMAT.md quotes it.
func vectorCounts(vf vectorFile) string {
	invalid := 0
	var groups []string
	for _, g := range vf.Invalid {
		invalid += len(g.Vectors)
		groups = append(groups, fmt.Sprintf("%s %d", g.Reason, len(g.Vectors)))
	}
	return fmt.Sprintf("%d valid vectors, %d re-seal vectors, %d invalid vectors in %d groups, the chunk rules first, then one for each rule of FORMAT.md, in its order: %s.",
		len(vf.Valid), len(vf.Reseal), invalid, len(vf.Invalid), strings.Join(groups, ", "))
}

// vectorBuilder makes vectors from three test keys, the cookie name and
// clock most vectors use, and a typical session.
type vectorBuilder struct {
	k1, k2, k3    []byte
	id1, id2, id3 []byte
	cookie        string
	now           int64
	base          specPlain
	baseRaw       []byte       // base sealed in version 1 under k1
	src           chunkSources // sessions over several cookies
}

func newVectorBuilder() *vectorBuilder {
	b := &vectorBuilder{k1: testSecret(1), k2: testSecret(2), k3: testSecret(3),
		cookie: "__Host-session", now: vectorT0 + 7200, base: basePlain()}
	_, b.id1 = specKeys(b.k1)
	_, b.id2 = specKeys(b.k2)
	_, b.id3 = specKeys(b.k3)
	b.baseRaw, _ = base64.RawURLEncoding.DecodeString(specSeal(b.k1, testNonce("base"), b.cookie, b.base.bytes()))
	b.src = b.chunkSources()
	return b
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

// emptyPlain is a session with nothing in it, issued at vectorT0.
func emptyPlain() specPlain {
	return specPlain{issued: vectorT0, renewed: vectorT0, expires: vectorT0 + 3600, id: testSessionID("empty")}
}

// largestPlain is the largest session for the cookie name s: its value is
// 4095 bytes.
func largestPlain() specPlain {
	s := specPlain{issued: vectorT0, renewed: vectorT0, expires: vectorT0 + 86400, id: testSessionID("largest")}
	s.entries = records("blob", jsonString(3026-45-3-4-2)) // 3026 bytes of plaintext: 4095 of value
	return s
}

// revalidatedPlain is base, revalidated half an hour after issue.
func revalidatedPlain() specPlain {
	s := basePlain()
	s.flags |= flagChecked
	s.checked = vectorT0 + 1800
	return s
}

// validVia seals s in version for cookie and transport under
// keys[sealedWith], with the nonce of name, to be opened at now.
func validVia(version byte, transport, name string, keys [][]byte, sealedWith int, cookie string, s specPlain, now int64) validVector {
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

func (b *vectorBuilder) valid() []validVector {
	k1, k2, k3, cookie, now, base := b.k1, b.k2, b.k3, b.cookie, b.now, b.base
	valid := func(name string, keys [][]byte, sealedWith int, cookie string, s specPlain, now int64) validVector {
		return validVia(1, "cookie", name, keys, sealedWith, cookie, s, now)
	}
	v2 := func(name string, keys [][]byte, sealedWith int, cookie string, s specPlain, now int64) validVector {
		return validVia(2, "cookie", name, keys, sealedWith, cookie, s, now)
	}
	token := func(name string, keys [][]byte, sealedWith int, cookie string, s specPlain, now int64) validVector {
		return validVia(2, "token", name, keys, sealedWith, cookie, s, now)
	}
	empty := emptyPlain()
	unicode := base
	unicode.entries = records("Zebra", `"uppercase sorts first"`, "apple", `{"é":"\u00e9","n":[1,2.5,null,true]}`,
		"café", `"naïve ☕"`, "ключ", `"значение"`, "🍪", `"🍪"`)
	// JavaScript's sort, Java's compareTo and C#'s ordinal comparison put
	// U+1F36A (UTF-16 D83C DF6A) before U+FF71; its UTF-8 bytes come after.
	utf16 := base
	utf16.entries = records("ｱ", `"U+FF71, UTF-8 EF BD B1"`, "🍪", `"U+1F36A, UTF-8 F0 9F 8D AA"`)
	longKey := base
	longKey.entries = records(strings.Repeat("k", maxKeyLen), `"a key of 255 bytes"`)
	codecShape := specPlain{issued: vectorT0, renewed: vectorT0, expires: vectorT0 + 86400, id: testSessionID("codec"),
		flags: flagPersist, entries: records(codecEntry, `{"theme":"dark","lang":"en"}`)}
	largest := largestPlain()
	skewLimit := base
	skewLimit.issued, skewLimit.renewed = now+60, now+60
	before1970 := specPlain{issued: -86400, renewed: -1, expires: 0, id: testSessionID("1970"),
		entries: records("epoch", `"before"`)}
	flashesOnly := specPlain{issued: vectorT0, renewed: vectorT0, expires: vectorT0 + 600, id: testSessionID("flashes"),
		flashes: records("info", `"one"`, "info", `"two"`, "warning", `"three"`, "info", `"four"`)}
	revalidated := revalidatedPlain()
	checkedAtRenewal := empty
	checkedAtRenewal.entries = records("user_id", `42`)
	checkedAtRenewal.flags = flagChecked
	checkedAtRenewal.renewed, checkedAtRenewal.checked = vectorT0+1, vectorT0+1
	largest2 := largest
	largest2.id = testSessionID("largest v2")
	return []validVector{
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
		v2("v2 cookie: session with entries and flashes", [][]byte{k1}, 0, cookie, base, now),
		v2("v2 cookie: empty session, not persistent", [][]byte{k1}, 0, cookie, empty, vectorT0),
		v2("v2 cookie: ring new,old, sealed with the old key", [][]byte{k2, k1}, 1, cookie, base, now),
		v2("v2 cookie: revalidated half an hour after issue", [][]byte{k1}, 0, cookie, revalidated, now),
		v2("v2 cookie: revalidated in the second it was renewed", [][]byte{k1}, 0, cookie, checkedAtRenewal, vectorT0+1),
		v2("v2 cookie: non-ASCII keys and values", [][]byte{k1}, 0, cookie, unicode, now),
		v2("v2 cookie: entry keys in UTF-8 byte order, not UTF-16 order: U+FF71 before U+1F36A", [][]byte{k1}, 0, cookie, utf16, now),
		v2("v2 cookie: Codec.Encode shape", [][]byte{k1}, 0, "prefs", codecShape, vectorT0+1),
		v2("v2 cookie: largest value for cookie name s", [][]byte{k1}, 0, "s", largest2, vectorT0),
		v2("v2 cookie: times before 1970", [][]byte{k1}, 0, cookie, before1970, -1),
		token("v2 token: session with entries and flashes", [][]byte{k1}, 0, cookie, base, now),
		token("v2 token: revalidated, ring of three keys, sealed with the last", [][]byte{k3, k2, k1}, 2, cookie, revalidated, now),
		token("v2 token: empty cookie name", [][]byte{k1}, 0, "", base, now),
	}
}

// authenticVia seals plain with secret under the header (version, keyID)
// for sealFor and sealVia, and has it received as cookie by via.
func authenticVia(name string, keys [][]byte, cookie, via string, now int64, secret []byte, version byte, keyID []byte, sealFor, sealVia string, plain []byte) invalidVector {
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
func authentic(name string, keys [][]byte, cookie string, now int64, secret []byte, version byte, keyID []byte, sealFor string, plain []byte) invalidVector {
	return authenticVia(name, keys, cookie, "cookie", now, secret, version, keyID, sealFor, "cookie", plain)
}

// also marks v as breaking the later rule of reason too.
func also(reason Reason, v invalidVector) invalidVector {
	v.Also = reason
	return v
}

// sealed seals plain in version 1 under k1 for the cookie: the common
// authentic case.
func (b *vectorBuilder) sealed(name string, plain []byte, now int64) invalidVector {
	return authentic(name, [][]byte{b.k1}, b.cookie, now, b.k1, version1, b.id1, b.cookie, plain)
}

// sealed2 is sealed in version 2.
func (b *vectorBuilder) sealed2(name string, plain []byte, now int64) invalidVector {
	return authenticVia(name, [][]byte{b.k1}, b.cookie, "cookie", now, b.k1, version2, b.id1, b.cookie, "cookie", plain)
}

// other is a value received as the cookie under the ring of k1 alone.
func (b *vectorBuilder) other(name, value string) invalidVector {
	return invalidVector{Name: name, Keys: b64urls(b.k1), Cookie: b.cookie, Transport: "cookie", Now: b.now, Value: value}
}

// tamper returns base's value with f applied to its decoded bytes.
func (b *vectorBuilder) tamper(f func(raw []byte) []byte) string {
	return b64url(f(bytes.Clone(b.baseRaw)))
}

// relabel returns base sealed in version 2 for transport via, with its
// version byte changed to v.
func (b *vectorBuilder) relabel(via string, v byte) string {
	raw, _ := base64.RawURLEncoding.DecodeString(specSealVia(b.k1, testNonce("base v2 "+via), version2, via, b.cookie, b.base.bytes()))
	raw[0] = v
	return b64url(raw)
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64urls(secrets ...[]byte) []string {
	s := make([]string, len(secrets))
	for i, k := range secrets {
		s[i] = b64url(k)
	}
	return s
}

// withCount returns b with the uint16 at offset at set to n.
func withCount(b []byte, at int, n uint16) []byte {
	b = bytes.Clone(b)
	binary.BigEndian.PutUint16(b[at:], n)
	return b
}
