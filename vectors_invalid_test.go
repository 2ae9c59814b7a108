package cookiesession

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
)

// The invalid vectors, one group for each of FORMAT.md's MUST-reject
// rules. A value that breaks two rules is in the group of the first, and
// names the other in Also.

// tooLong is checked before anything else.
func (b *vectorBuilder) tooLong() []invalidVector {
	k1, id1, cookie := b.k1, b.id1, b.cookie
	overLimit := largestPlain()
	overLimit.entries = records("blob", jsonString(3027-45-3-4-2)) // one plaintext byte more than the valid vector
	longName := strings.Repeat("n", 4000)
	return []invalidVector{
		b.other("4097 bytes with the name, all base64 letters", strings.Repeat("A", MaxCookieSize+1-len(cookie))),
		also(ReasonMalformed, b.other("4097 bytes and malformed: length wins", strings.Repeat("=", MaxCookieSize+1-len(cookie)))),
		authentic("authentic, one plaintext byte over the limit for cookie name s", [][]byte{k1}, "s", vectorT0, k1, version1, id1, "s", overLimit.bytes()),
		authentic("authentic, but the 4000-byte cookie name leaves no room", [][]byte{k1}, longName, b.now, k1, version1, id1, longName, b.base.bytes()),
		authenticVia("v2 token, one plaintext byte over the limit for cookie name s", [][]byte{k1}, "s", "token", vectorT0, k1, version2, id1, "s", "token", overLimit.bytes()),
	}
}

// malformed values start from a source value whose encoding has '-' and
// '_' and unused bits.
func (b *vectorBuilder) malformed() []invalidVector {
	msrc := specPlain{issued: vectorT0, renewed: vectorT0 + 3600, expires: vectorT0 + 86400, id: testSessionID("malformed")}
	for k := 0; ; k++ {
		msrc.entries = records("msg", jsonString(k))
		if (sealedMin+len(msrc.bytes()))%3 == 1 { // 4 unused bits in the last character
			break
		}
	}
	var mvalue string
	for i := 0; ; i++ {
		mvalue = specSeal(b.k1, testNonce(fmt.Sprintf("malformed source %d", i)), b.cookie, msrc.bytes())
		if strings.Contains(mvalue, "-") && strings.Contains(mvalue, "_") {
			break
		}
	}
	mbytes, _ := base64.RawURLEncoding.DecodeString(mvalue)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, mvalue[len(mvalue)-1])
	mid := len(mvalue) / 2
	other := b.other
	return []invalidVector{
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
		other("a Bearer prefix", "Bearer "+mvalue),
		also(ReasonTooShort, other("header only, padded: malformed and too short, malformed wins",
			base64.URLEncoding.EncodeToString(b.baseRaw[:headerSize]))),
		b.chunkVector("v3: a + of the standard alphabet in the middle chunk", 3, edit(b.src.three, func(cs []cookiePair) []cookiePair {
			v := []byte(cs[1].Value)
			v[len(v)/2] = '+'
			cs[1].Value = string(v)
			return cs
		})),
		b.chunkVector("v3: = appended to the last chunk", 3, edit(b.src.two, func(cs []cookiePair) []cookiePair { cs[1].Value += "="; return cs })),
		// __Host-session's first two chunks hold 8162 characters, 2 modulo
		// 4, whose last character has four unused bits.
		b.chunkVector("v3: count lowered from 3 to 2: the first two chunks join, with unused bits set in the last character", 3,
			edit(b.src.three, func(cs []cookiePair) []cookiePair { cs[0].Value = withCountByte(cs[0].Value, 2); return cs })),
	}
}

// tooShort values are under 45 decoded bytes, whatever the bytes say.
func (b *vectorBuilder) tooShort() []invalidVector {
	return []invalidVector{
		b.other("empty", ""),
		b.other("one byte, the version", b64url([]byte{version1})),
		b.other("header only: version, key ID, nonce", b.tamper(func(r []byte) []byte { return r[:headerSize] })),
		b.other("44 bytes: header and 15 bytes of tag", b.tamper(func(r []byte) []byte { return r[:sealedMin-1] })),
		also(ReasonVersion, b.other("44 bytes with an unknown version: length wins",
			b.tamper(func(r []byte) []byte { r[0] = 4; return r[:sealedMin-1] }))),
		also(ReasonUnknownKey, b.other("44 bytes with an unknown key ID: length wins",
			b.tamper(func(r []byte) []byte { r[1] ^= 0xff; return r[:sealedMin-1] }))),
		also(ReasonVersion, b.via("token", b.other("v3 token of 45 bytes, one short of a version 3 header and tag: length wins",
			b.tamper(func(r []byte) []byte { r[0] = 3; return r[:sealedMin] })))),
	}
}

// via is v received by transport t.
func (b *vectorBuilder) via(t string, v invalidVector) invalidVector {
	v.Transport = t
	return v
}

// unknownVersion values have an unknown version, or one the transport
// does not have.
func (b *vectorBuilder) unknownVersion() []invalidVector {
	k1, id1, cookie, now := b.k1, b.id1, b.cookie, b.now
	v1Token := authentic("version 1, received as a token", [][]byte{k1}, cookie, now, k1, version1, id1, cookie, b.base.bytes())
	v1Token.Transport = "token"
	relabelled := b.other("v2 token relabelled as version 1, received as a token", b.relabel("token", version1))
	relabelled.Transport = "token"
	return []invalidVector{
		b.other("version 0x00", b.tamper(func(r []byte) []byte { r[0] = 0; return r })),
		b.other("version 0x04", b.tamper(func(r []byte) []byte { r[0] = 4; return r })),
		b.other("version 0xff", b.tamper(func(r []byte) []byte { r[0] = 0xff; return r })),
		authentic("authentic under version 4 in header and associated data", [][]byte{k1}, cookie, now, k1, 4, id1, cookie, b.base.bytes()),
		v1Token,
		relabelled,
		whole(b.authentic3("version 3 value received as a token", [][]byte{k1}, 0, k1, id1, 2, cookie, "cookie", b.base.bytes()), "token", 0),
		whole(b.authentic3("authentic version 3 token: a token is not split", [][]byte{k1}, 0, k1, id1, 2, cookie, "token", b.base.bytes()), "token", 0),
		whole(b.authentic3("version 3 cookie, to an opener that reads no chunks, as Codec.Decode", [][]byte{k1}, 0, k1, id1, 2, cookie, "cookie",
			b.base.bytes()), "cookie", 0),
		also(ReasonUnknownKey, b.other("version 0x04 under a key ID not in the ring: version wins",
			b.tamper(func(r []byte) []byte { r[0] = 4; copy(r[1:], []byte{0xff, 0xff, 0xff, 0xff}); return r }))),
	}
}

func (b *vectorBuilder) unknownKey() []invalidVector {
	k1, k2, k3, cookie, now := b.k1, b.k2, b.k3, b.cookie, b.now
	// A ring key's value under another key ID fails authentication too,
	// under every key of the ring.
	return []invalidVector{
		authentic("sealed with a key not in the ring", [][]byte{k1, k2}, cookie, now, k3, version1, b.id3, cookie, b.base.bytes()),
		authenticVia("v2 token sealed with a key not in the ring", [][]byte{k1, k2}, cookie, "token", now, k3, version2, b.id3, cookie, "token", b.base.bytes()),
		authentic("sealed with the old key after it left the ring", [][]byte{k2}, cookie, now, k1, version1, b.id1, cookie, b.base.bytes()),
		b.authentic3("v3 over two cookies, sealed with a key not in the ring", [][]byte{k1, k2}, 3, k3, b.id3, 2, cookie, "cookie",
			padded(b.base, twoCookies).bytes()),
		also(ReasonAuth, b.other("key ID 00000000", b.tamper(func(r []byte) []byte { copy(r[1:], []byte{0, 0, 0, 0}); return r }))),
		also(ReasonAuth, b.other("key ID ffffffff", b.tamper(func(r []byte) []byte { copy(r[1:], []byte{0xff, 0xff, 0xff, 0xff}); return r }))),
	}
}

// authentication: the tag does not verify.
func (b *vectorBuilder) authentication() []invalidVector {
	k1, k2, id1, cookie, now, base := b.k1, b.k2, b.id1, b.cookie, b.now, b.base
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
		return b.other(name, specSealRaw(aeadKey, version1, id1, testNonce(name), ad, base.bytes()))
	}
	badFlags := base.bytes()
	badFlags[3*8+idSize] = 0x80
	other, tamper := b.other, b.tamper
	return []invalidVector{
		wrongName("sealed for __Host-session, opened as session", cookie, "session"),
		wrongName("sealed for a, opened as a NUL", "a", "a\x00"),
		wrongName("sealed for a NUL, opened as a", "a\x00", "a"),
		wrongName("sealed for the empty name, opened as NUL", "", "\x00"),
		wrongName("sealed for session, opened as Session", "session", "Session"),
		authentic("routed to one key: sealed with key 1 under key 2's ID", [][]byte{k1, k2}, cookie, now, k1, version1, b.id2, cookie, base.bytes()),
		other("nonce bit flipped", tamper(func(r []byte) []byte { r[headerSize-1] ^= 0x01; return r })),
		other("ciphertext bit flipped", tamper(func(r []byte) []byte { r[headerSize] ^= 0x80; return r })),
		other("tag bit flipped", tamper(func(r []byte) []byte { r[len(r)-1] ^= 0x01; return r })),
		other("last byte removed", tamper(func(r []byte) []byte { return r[:len(r)-1] })),
		other("a byte appended", tamper(func(r []byte) []byte { return append(r, 0) })),
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
		other("version 1 value relabelled as version 2", tamper(func(r []byte) []byte { r[0] = version2; return r })),
		other("version 2 cookie relabelled as version 1", b.relabel("cookie", version1)),
		b.chunkVector("v3: chunks 1 and 2 swapped", 4,
			edit(b.src.four, func(cs []cookiePair) []cookiePair { cs[1].Value, cs[2].Value = cs[2].Value, cs[1].Value; return cs })),
		b.chunkVector("v3: chunk 1 from another seal of the session", 3,
			edit(b.src.two, func(cs []cookiePair) []cookiePair { cs[1] = b.src.twoAgain[1]; return cs })),
		b.chunkVector("v3 sealed with count 3 in the associated data and 2 in the header", 3, specSplit(cookie, specSealHeader(aeadKey1,
			append(append([]byte{3}, id1...), 2), testNonce("v3 count 3 in ad"), specAD3(id1, 3, 0, cookie), padded(base, twoCookies).bytes()))),
		b.authentic3("v3 sealed for another cookie name", [][]byte{k1}, 3, k1, id1, 2, "session", "cookie", padded(base, twoCookies).bytes()),
		b.authentic3("v3 sealed for a token, received as cookies", [][]byte{k1}, 3, k1, id1, 2, cookie, "token", padded(base, twoCookies).bytes()),
		b.chunkVector("v3 sealed with associated data without the count", 3, specSplit(cookie, specSealHeader(aeadKey1, append(append([]byte{3}, id1...), 2),
			testNonce("v3 without count"), specAD(3, id1, 0, cookie), padded(base, twoCookies).bytes()))),
		also(ReasonPlaintext, authentic("malformed plaintext sealed for another name: authentication wins",
			[][]byte{k1}, cookie, now, k1, version1, id1, "session", badFlags)),
	}
}

// plaintext vectors are authentic, so only the parser can reject them.
func (b *vectorBuilder) plaintext() []invalidVector {
	now, base := b.now, b.base
	sealed, sealed2 := b.sealed, b.sealed2
	bp := base.bytes()
	fixed := emptyPlain()
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
	future := base
	future.issued, future.renewed = now+3600, now+3600
	future.expires = now + 7200
	expiredBadFlags := base
	expiredBadFlags.flags = 0x04
	badFlags3 := padded(base, twoCookies).bytes()
	badFlags3[3*8+idSize] = 0x04
	vs := []invalidVector{
		sealed("empty plaintext", nil, now),
		sealed("44 bytes: one short of the fixed part", fixedBytes[:44], now),
		sealed("no flashes count", fixedBytes[:43], now),
		sealed("a byte after the flashes", append(bytes.Clone(bp), 0), now),
		sealed("a third section count after the flashes", append(bytes.Clone(bp), 0, 0), now),
		sealed("entry keys out of order", withEntries("theme", `"dark"`, "cart", `[]`), now),
		sealed("entry keys repeat", withEntries("theme", `"dark"`, "theme", `"light"`), now),
		sealed2("v2: entry keys in UTF-16 order, not UTF-8 byte order: U+1F36A before U+FF71",
			withEntries("🍪", `"U+1F36A, UTF-8 F0 9F 8D AA"`, "ｱ", `"U+FF71, UTF-8 EF BD B1"`), now),
		sealed("empty entry key", withEntries("", `1`), now),
		sealed("empty flash key", withFlashes("", `"x"`), now),
		sealed("entry key not UTF-8: ff", withEntries("\xff", `1`), now),
		sealed("entry key not UTF-8: overlong NUL", withEntries("\xc0\x80", `1`), now),
		sealed("entry key not UTF-8: surrogate", withEntries("\xed\xa0\x80", `1`), now),
		sealed("entry key not UTF-8: truncated sequence", withEntries("caf\xc3", `1`), now),
		sealed("flash key not UTF-8", withFlashes("\xfe", `"x"`), now),
	}
	// Every undefined flag bit, alone: in version 1 all but 0x01, in
	// version 2 all but 0x01 and 0x02.
	for f := 0x02; f <= 0x80; f <<= 1 {
		vs = append(vs, sealed(fmt.Sprintf("undefined flag bit 0x%02x", f), withFlags(byte(f)), now))
	}
	vs = append(vs, sealed("all flag bits set", withFlags(0xff), now))
	for f := 0x04; f <= 0x80; f <<= 1 {
		vs = append(vs, sealed2(fmt.Sprintf("v2: undefined flag bit 0x%02x", f), withFlags(byte(f)), now))
	}
	return append(vs,
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
		also(ReasonFuture, sealed("malformed and issued in the future: malformed wins", flagsOf(future, 0x02), now)),
		also(ReasonExpired, sealed("malformed and expired: malformed wins", expiredBadFlags.bytes(), base.expires+1)),
		sealed("version 1 with revalidated_at (flag 0x02)", revalidatedPlain().bytes(), now),
		sealed2("v2: revalidated_at equal to issued_at", withChecked(base.issued), now),
		sealed2("v2: revalidated_at before issued_at", withChecked(base.issued-1), now),
		sealed2("v2: revalidated_at after renewed_at", withChecked(base.renewed+1), now),
		sealed2("v2: flag 0x02 with revalidated_at cut short", fixedChecked[:fixedPlain+checkedSize-1], now),
		sealed2("v2: flag 0x02 without its eight bytes", fixedChecked[:fixedPlain], now),
		b.authentic3("v3: undefined flag bit 0x04, over two cookies", [][]byte{b.k1}, 3, b.k1, b.id1, 2, b.cookie, "cookie", badFlags3),
	)
}

// future vectors are issued beyond the 60-second skew. No value is both
// issued in the future and expired: expires_at comes after renewed_at,
// which comes after issued_at.
func (b *vectorBuilder) future() []invalidVector {
	now, base := b.now, b.base
	ahead := base
	ahead.issued, ahead.renewed = now+61, now+61
	renewedAhead := base
	renewedAhead.issued, renewedAhead.renewed = now, now+61
	renewedAheadChecked := renewedAhead
	renewedAheadChecked.flags |= flagChecked
	renewedAheadChecked.checked = now + 61
	farAhead := base
	farAhead.issued, farAhead.renewed, farAhead.expires = 253402300000, 253402300000, 253402300799
	return []invalidVector{
		b.sealed("issued and renewed 61 seconds ahead", ahead.bytes(), now),
		b.sealed2("v2: revalidated and renewed 61 seconds ahead", renewedAheadChecked.bytes(), now),
		b.sealed("renewed 61 seconds ahead", renewedAhead.bytes(), now),
		b.sealed("issued in year 9999", farAhead.bytes(), now),
		b.authentic3("v3: issued and renewed 61 seconds ahead, over two cookies", [][]byte{b.k1}, 3, b.k1, b.id1, 2, b.cookie, "cookie",
			padded(ahead, twoCookies).bytes()),
	}
}

func (b *vectorBuilder) expired() []invalidVector {
	bp, expires := b.base.bytes(), b.base.expires
	chunked := b.authentic3("v3: now equals expires_at, over two cookies", [][]byte{b.k1}, 3, b.k1, b.id1, 2, b.cookie, "cookie",
		padded(b.base, twoCookies).bytes())
	chunked.Now = expires
	return []invalidVector{
		b.sealed("now equals expires_at", bp, expires),
		b.sealed2("v2: revalidated, now equals expires_at", revalidatedPlain().bytes(), expires),
		b.sealed("one second after expires_at", bp, expires+1),
		b.sealed("ten years later", bp, expires+10*365*86400),
		chunked,
	}
}
