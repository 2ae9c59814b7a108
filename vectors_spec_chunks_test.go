package cookiesession

import (
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"
)

// The spec of FORMAT.md "Chunked cookies (version 3)", from the page
// alone, as vectors_spec_test.go is: chunk names, the joining rules C1 to
// C3 and the sealer's split.

// cookiePair is one cookie of a request: its name and value.
type cookiePair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// specBrowserLimit is the most bytes of name and value a browser stores
// in one cookie.
const specBrowserLimit = 4096

// specChunkName is the name of cookie i of a session split over cookies:
// name itself for i = 0, then name, a full stop and i in decimal.
func specChunkName(name string, i int) string {
	if i == 0 {
		return name
	}
	return name + "." + strconv.Itoa(i)
}

// specPieceLen is the most characters of a value that cookie i holds.
func specPieceLen(name string, i int) int { return specBrowserLimit - len(specChunkName(name, i)) }

// specAD3 is the associated data of version 3.
func specAD3(keyID []byte, count, transport byte, name string) []byte {
	ad := append([]byte{3}, keyID...)
	ad = append(ad, count, transport)
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(name)))
	return append(ad, name...)
}

// specFirstChunk reports whether value is the first chunk of a version 3
// value, whose first 8 characters decode to a first byte 0x03, and the
// count, its sixth byte.
func specFirstChunk(value string) (count int, ok bool) {
	if len(value) < 8 || alphabetLen(value[:8]) != 8 {
		return 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(value[:8])
	if err != nil || b[0] != 3 {
		return 0, false
	}
	return int(b[5]), true
}

// values returns the values of the request's cookies called name, in the
// order it carries them.
func (in specInput) values(name string) []string {
	if in.cookies == nil {
		if name == in.cookie {
			return []string{in.value}
		}
		return nil
	}
	var vs []string
	for _, c := range in.cookies {
		if c.Name == name {
			vs = append(vs, c.Value)
		}
	}
	return vs
}

// specJoin takes the value that rules 1 to 9 judge out of the request's
// cookies: the first cookie called in.cookie, received whole, or, for a
// cookie received by an opener that reads up to in.max cookies, the chunks
// it begins joined by rules C1 to C3. It returns the value, the number of
// chunks it was joined from (0 for a value received whole), and
// ReasonChunks if a rule is broken; the value is then the pieces the
// request carries for the indexes below the count, joined, for the rules
// after the chunk rules to judge.
func specJoin(in specInput) (value string, count int, reason Reason) {
	first := ""
	if vs := in.values(in.cookie); len(vs) > 0 {
		first = vs[0]
	}
	count, ok := specFirstChunk(first)
	if in.via != 0 || in.max == 0 || !ok {
		return first, 0, ""
	}
	if count < 2 || count > in.max {
		reason = ReasonChunks // C1
	}
	pieces := []string{first}
	for i := 1; i < count; i++ {
		vs := in.values(specChunkName(in.cookie, i))
		if len(vs) == 0 {
			reason = cmpReason(reason, ReasonChunks) // C2: missing
			continue
		}
		for _, v := range vs[1:] {
			if v != vs[0] {
				reason = cmpReason(reason, ReasonChunks) // C2: ambiguous
			}
		}
		pieces = append(pieces, vs[0])
	}
	for i, p := range pieces {
		if n := specPieceLen(in.cookie, i); i < count-1 && len(p) != n || i == count-1 && (len(p) < 1 || len(p) > n) {
			reason = cmpReason(reason, ReasonChunks) // C3
		}
	}
	return strings.Join(pieces, ""), count, reason
}

// cmpReason returns the first of two reasons that is not empty.
func cmpReason(a, b Reason) Reason {
	if a != "" {
		return a
	}
	return b
}

// specChunkCount is the fewest cookies that hold a value of n characters
// for the cookie called name, filled in order.
func specChunkCount(name string, n int) int {
	count := 0
	for held := 0; held < n; count++ {
		held += specPieceLen(name, count)
	}
	return count
}

// specSplit splits value over the cookie called name and its chunks, each
// filled to its limit in order, the last holding the rest.
func specSplit(name, value string) []cookiePair {
	var cs []cookiePair
	for i := 0; value != ""; i++ {
		n := min(specPieceLen(name, i), len(value))
		cs = append(cs, cookiePair{Name: specChunkName(name, i), Value: value[:n]})
		value = value[n:]
	}
	return cs
}

// specJoinValues is the values of cookies concatenated in their order.
func specJoinValues(cookies []cookiePair) string {
	var b strings.Builder
	for _, c := range cookies {
		b.WriteString(c.Value)
	}
	return b.String()
}

// specSealCookie seals plain under secret with nonce for the cookie called
// name as a sealer does: in version 2 if the value fits one cookie, else
// in version 3 over the fewest cookies that hold it. It returns the
// version, the value and the cookies it is split over (one in version 2).
func specSealCookie(secret, nonce []byte, name string, plain []byte) (version byte, value string, cookies []cookiePair) {
	value = specSealVia(secret, nonce, 2, "cookie", name, plain)
	if len(name)+len(value) <= specBrowserLimit {
		return 2, value, []cookiePair{{Name: name, Value: value}}
	}
	aeadKey, keyID := specKeys(secret)
	n := base64.RawURLEncoding.EncodedLen(1 + 4 + 1 + 24 + len(plain) + 16)
	if specChunkCount(name, n) > 255 {
		panic("a value of " + strconv.Itoa(n) + " characters needs more than 255 cookies")
	}
	count := byte(specChunkCount(name, n))
	header := append([]byte{3}, keyID...)
	value = specSealHeader(aeadKey, append(header, count), nonce, specAD3(keyID, count, 0, name), plain)
	return 3, value, specSplit(name, value)
}
