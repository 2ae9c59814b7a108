package cookiesession

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// The vectors of sessions split over several cookies (FORMAT.md "Chunked
// cookies (version 3)"): valid ones, and the invalid ones of the chunk
// rules and of the other rules in version 3.

// Plaintext lengths of sessions that take two, three and four cookies
// called __Host-session, whose first holds 4082 characters, the others 4080.
const (
	twoCookies   = 3600 // 4862 characters
	threeCookies = 6800 // 9128
	fourCookies  = 9600 // 12862
)

// withEntry returns s with one more entry, key holding value, in key order.
func withEntry(s specPlain, key, value string) specPlain {
	i, _ := slices.BinarySearchFunc(s.entries, key, func(r vectorRecord, k string) int { return strings.Compare(r.Key, k) })
	s.entries = slices.Insert(slices.Clone(s.entries), i, vectorRecord{Key: key, JSON: value})
	return s
}

// padded returns s with an entry notes, a JSON string, that makes its
// plaintext n bytes long.
func padded(s specPlain, n int) specPlain {
	return withEntry(s, "notes", jsonString(n-len(s.bytes())-3-len("notes")-2))
}

// validCookies seals s for cookie as a sealer does, in version 2 if it fits
// one cookie and else in version 3 over as many as it takes, which must be
// cookies, under keys[sealedWith] with the nonce of name, for an opener
// that reads up to max cookies.
func validCookies(name string, keys [][]byte, sealedWith int, cookie string, s specPlain, now int64, max, cookies int) validVector {
	v := validVia(version2, "cookie", name, keys, sealedWith, cookie, s, now)
	version, value, cs := specSealCookie(keys[sealedWith], testNonce(name), cookie, s.bytes())
	if len(cs) != cookies {
		panic(fmt.Sprintf("vector %q takes %d cookies, want %d", name, len(cs), cookies))
	}
	v.Version, v.Value, v.MaxCookies, v.Cookies = int(version), value, max, cs
	return v
}

// validChunked makes the valid vectors of sessions that an opener reading
// chunks opens: split over several cookies, and the largest in one.
func (b *vectorBuilder) validChunked() []validVector {
	k1, k2, cookie, now, base := b.k1, b.k2, b.cookie, b.now, b.base
	// s holds 4095 characters, s.1 to s.9 4093 and s.10 on 4092.
	return []validVector{
		validCookies("v3 cookie: session over two cookies, opener reads up to three", [][]byte{k1}, 0, cookie, padded(base, twoCookies), now, 3, 2),
		validCookies("v3 cookie: session over three cookies", [][]byte{k1}, 0, cookie, padded(base, threeCookies), now, 3, 3),
		validCookies("v3 cookie: twelve cookies for name s, from s.9 to s.10, one byte longer and one character shorter",
			[][]byte{k1}, 0, "s", padded(base, 34000), now, 12, 12),
		validCookies("v3 cookie: revalidated, over two cookies", [][]byte{k1}, 0, cookie, padded(revalidatedPlain(), twoCookies), now, 2, 2),
		validCookies("v3 cookie: ring new,old, sealed with the old key", [][]byte{k2, k1}, 1, cookie, padded(base, twoCookies), now, 2, 2),
		validCookies("v2 cookie: largest session that fits one cookie for __Host-session, 3016 plaintext bytes, opener reads up to two",
			[][]byte{k1}, 0, cookie, padded(base, 3016), now, 2, 1),
		validCookies("v3 cookie: smallest session that needs two for __Host-session, 3017 plaintext bytes: the last chunk holds 2 characters",
			[][]byte{k1}, 0, cookie, padded(base, 3017), now, 2, 2),
	}
}

// chunkVector is a request carrying cookies, to an opener under the ring
// of k1 that reads up to max cookies, at b.now.
func (b *vectorBuilder) chunkVector(name string, max int, cookies []cookiePair) invalidVector {
	return invalidVector{Name: name, Keys: b64urls(b.k1), Cookie: b.cookie, Transport: "cookie", Now: b.now,
		MaxCookies: max, Cookies: cookies}
}

// authentic3 seals plain in version 3 under secret, with keyID and count
// in the header and the associated data, for sealFor and transport
// sealVia, with the nonce of name. The request carries the value split for
// b.cookie, to an opener under keys that reads up to max cookies; a value
// that fits one cookie is the vector's value.
func (b *vectorBuilder) authentic3(name string, keys [][]byte, max int, secret, keyID []byte, count byte, sealFor, sealVia string, plain []byte) invalidVector {
	aeadKey, _ := specKeys(secret)
	nonce := testNonce(name)
	header := append(append([]byte{3}, keyID...), count)
	value := specSealHeader(aeadKey, header, nonce, specAD3(keyID, count, transports[sealVia], sealFor), plain)
	v := b.chunkVector(name, max, specSplit(b.cookie, value))
	if len(v.Cookies) == 1 {
		v.Value, v.Cookies = value, nil
	}
	v.Keys = b64urls(keys...)
	v.Sealed = &sealedInput{
		Key: b64url(secret), Version: 3, KeyID: hex.EncodeToString(keyID), Count: int(count),
		Nonce: hex.EncodeToString(nonce), Cookie: sealFor, Transport: sealVia, Plaintext: hex.EncodeToString(plain),
	}
	return v
}

// whole is v with its value received whole by transport via, for an
// opener that reads up to max cookies, or no chunks if max is 0.
func whole(v invalidVector, via string, max int) invalidVector {
	if v.Cookies != nil {
		v.Value = specJoinValues(v.Cookies)
	}
	v.Transport, v.MaxCookies, v.Cookies = via, max, nil
	return v
}

// withCountByte returns first, the first chunk of a version 3 value, with
// count n in its header.
func withCountByte(first string, n byte) string {
	h, _ := base64.RawURLEncoding.DecodeString(first[:8])
	h[5] = n
	return base64.RawURLEncoding.EncodeToString(h) + first[8:]
}

// edit returns f applied to a copy of cs.
func edit(cs []cookiePair, f func(cs []cookiePair) []cookiePair) []cookiePair {
	return f(slices.Clone(cs))
}

// chunkSources are sessions sealed over two, three and four cookies by
// the sealer, and the two-cookie one sealed again with another nonce.
type chunkSources struct{ two, twoAgain, three, four []cookiePair }

func (b *vectorBuilder) chunkSources() chunkSources {
	seal := func(label string, n int) []cookiePair {
		_, _, cs := specSealCookie(b.k1, testNonce(label), b.cookie, padded(b.base, n).bytes())
		return cs
	}
	return chunkSources{
		two: seal("chunks: two", twoCookies), twoAgain: seal("chunks: two, again", twoCookies),
		three: seal("chunks: three", threeCookies), four: seal("chunks: four", fourCookies),
	}
}

// chunks are the vectors of the chunk rules C1 to C3.
func (b *vectorBuilder) chunks() []invalidVector {
	k1, id1, cookie, src := b.k1, b.id1, b.cookie, b.src
	two, three := src.two, src.three
	one := b.authentic3("version 3 value whole in one cookie", [][]byte{k1}, 3, k1, id1, 2, cookie, "cookie", padded(b.base, twoCookies).bytes())
	name1 := specChunkName(cookie, 1)
	return []invalidVector{
		b.authentic3("C1: count 1 in the header, authentic, in one cookie", [][]byte{k1}, 3, k1, id1, 1, cookie, "cookie", b.base.bytes()),
		b.chunkVector("C1: count 0 in the header of a two-cookie session", 3,
			edit(two, func(cs []cookiePair) []cookiePair { cs[0].Value = withCountByte(cs[0].Value, 0); return cs })),
		b.chunkVector("C1: three cookies, opener reads up to two", 2, three),
		whole(rename(one, "C1: version 3 value whole in one cookie, opener reads one cookie"), "cookie", 1),
		whole(rename(one, "C2: version 3 value whole in one cookie: chunk 1 missing"), "cookie", 3),
		b.chunkVector("C2: count raised from 3 to 4: chunk 3 missing", 4,
			edit(three, func(cs []cookiePair) []cookiePair { cs[0].Value = withCountByte(cs[0].Value, 4); return cs })),
		b.chunkVector("C2: middle chunk missing", 3, slices.Delete(slices.Clone(three), 1, 2)),
		b.chunkVector("C2: last chunk missing, truncated at a chunk boundary", 3, three[:2]),
		b.chunkVector("C2: chunk 1 twice, with the values of two seals of the session", 3, append(slices.Clone(two), src.twoAgain[1])),
		b.chunkVector("C2: chunk 1 named "+cookie+".01, which is not a chunk name", 3,
			edit(two, func(cs []cookiePair) []cookiePair { cs[1].Name = cookie + ".01"; return cs })),
		b.chunkVector("C3: middle chunk one character short", 3,
			edit(three, func(cs []cookiePair) []cookiePair { cs[1].Value = cs[1].Value[1:]; return cs })),
		b.chunkVector("C3: the value split with the first chunk one character short", 3, shortFirst(cookie, specJoinValues(three))),
		b.chunkVector("C3: last chunk empty", 3, edit(two, func(cs []cookiePair) []cookiePair { cs[1].Value = ""; return cs })),
		b.chunkVector("C3: last chunk one character over its limit", 3, edit(two, func(cs []cookiePair) []cookiePair {
			cs[1].Value += strings.Repeat("A", specPieceLen(cookie, 1)+1-len(cs[1].Value))
			return cs
		})),
		b.chunkVector("C3: last and middle chunks swapped", 3,
			edit(three, func(cs []cookiePair) []cookiePair { cs[1].Value, cs[2].Value = cs[2].Value, cs[1].Value; return cs })),
		b.chunkVector("C3: chunks of two writes, a two-cookie session's last chunk as the middle of a three-cookie one", 3,
			edit(three, func(cs []cookiePair) []cookiePair { cs[1] = cookiePair{Name: name1, Value: two[1].Value}; return cs })),
		also(ReasonTooLong, b.chunkVector("C3: last chunk of 4097 characters, 8193 bytes joined with the name: chunks wins over too long", 2,
			edit(two, func(cs []cookiePair) []cookiePair {
				cs[1].Value += strings.Repeat("A", MaxCookieSize+1-len(cs[1].Value))
				return cs
			}))),
	}
}

// rename returns v named name.
func rename(v invalidVector, name string) invalidVector {
	v.Name = name
	return v
}

// shortFirst splits value, that of three cookies, over the cookie called
// name and its chunks 1 and 2, with one character fewer in the first and
// the next filled.
func shortFirst(name, value string) []cookiePair {
	n0 := specPieceLen(name, 0) - 1
	n1 := n0 + specPieceLen(name, 1)
	return []cookiePair{{name, value[:n0]}, {specChunkName(name, 1), value[n0:n1]}, {specChunkName(name, 2), value[n1:]}}
}
