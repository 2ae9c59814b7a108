package cookiesession

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/securecookie"
	"golang.org/x/crypto/chacha20poly1305"
)

// Wire formats v1, v2 and v3; FORMAT.md is the normative description of
// these bytes. This package seals v2, and v3 for a session split over
// several cookies (chunk.go), and opens all three.
const (
	version1   = 0x01
	version2   = 0x02
	version3   = 0x03 // v2's plaintext, split over several cookies; the count follows the key ID
	keyIDSize  = 4
	nonceSize  = chacha20poly1305.NonceSizeX // 24
	tagSize    = chacha20poly1305.Overhead   // 16
	headerSize = 1 + keyIDSize + nonceSize   // 29
	sealedMin  = headerSize + tagSize        // 45: an empty ciphertext

	idSize      = 16
	fixedPlain  = 3*8 + idSize + 1 + 2 + 2 // times, ID, flags, two section counts: 45
	checkedSize = 8                        // v2's optional revalidated_at
	entryHeader = 1 + 2                    // key length, value length
	maxKeyLen   = 255
	maxValueLen = 65535
	flagPersist = 0x01
	flagChecked = 0x02 // v2: revalidated_at follows the flags

	// codecEntry is the key under which Codec.Encode stores its value.
	codecEntry = "value"
)

var b64 = base64.RawURLEncoding.Strict()

// ErrInvalid is returned for every cookie value that cannot be opened:
// malformed, tampered, sealed for another name, under an unknown key,
// expired or from the future. The error also carries an [InvalidError]
// whose Reason says why, for logs and metrics.
var ErrInvalid = errors.New("cookiesession: invalid cookie")

// ErrExpired is matched, in addition to [ErrInvalid], by errors for
// authentic cookies whose sealed expiry has passed, and for legacy cookies
// (Config.Migrate) older than [GorillaCookie] MaxAge.
var ErrExpired = errors.New("cookiesession: cookie expired")

// Reason classifies why a cookie value was rejected. The set of reasons is
// fixed and small so it can label metrics.
type Reason string

const (
	ReasonChunks     Reason = "chunks"              // a session split over several cookies arrived incomplete, duplicated or mis-split
	ReasonTooLong    Reason = "too long"            // over the 4096-byte budget; not decoded
	ReasonMalformed  Reason = "malformed"           // not canonical unpadded base64url
	ReasonTooShort   Reason = "too short"           // shorter than header and tag
	ReasonVersion    Reason = "unknown version"     // version byte not 0x01 to 0x03, or not of its transport or chunk count
	ReasonUnknownKey Reason = "unknown key"         // key ID not in the ring
	ReasonAuth       Reason = "authentication"      // tag did not verify: tampered, or another name
	ReasonPlaintext  Reason = "malformed plaintext" // authentic, but the content breaks the format
	ReasonExpired    Reason = "expired"             // authentic, but past its sealed expiry
	ReasonFuture     Reason = "issued in the future"

	// Reasons that come from policy rather than from the wire format.
	ReasonRevalidation Reason = "revalidation failed" // Config.Revalidate ended the session
	ReasonLegacy       Reason = "legacy cookie"       // a Config.Migrate cookie that could not be read
)

// InvalidError is the error returned when a cookie value is rejected. It
// matches [ErrInvalid] with [errors.Is], and also [ErrExpired] when the
// reason is [ReasonExpired], or [ReasonLegacy] for a legacy cookie older
// than its MaxAge. Callers should branch on those sentinels; the Reason is
// for logs and metrics.
type InvalidError struct {
	Reason Reason

	// KeyID is, for ReasonUnknownKey, the ID of the key that sealed the
	// value, as 8 hexadecimal digits: the key a replica with a stale ring
	// lacks.
	KeyID string

	// Err is the cause behind Reason where there is one: the error that
	// Config.Revalidate returned, or why a legacy cookie could not be read.
	Err error
}

func (e *InvalidError) Error() string {
	msg := "cookiesession: invalid cookie: " + string(e.Reason)
	if e.KeyID != "" {
		msg += " " + e.KeyID
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns Err.
func (e *InvalidError) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalid, or ErrExpired for an expired cookie.
func (e *InvalidError) Is(target error) bool {
	return target == ErrInvalid || (target == ErrExpired && e.Reason == ReasonExpired)
}

func invalid(r Reason) error { return &InvalidError{Reason: r} }

// entry is one (key, JSON value) pair of a session, or one flash.
type entry struct {
	key   string
	value []byte // JSON text; aliases the opened plaintext until replaced
}

// transport is how a sealed value travels; v2 binds it into the seal.
type transport byte

const (
	viaCookie transport = 0x00 // a cookie named Config.Name
	viaHeader transport = 0x01 // a token, in the request and response header Config.TokenHeader
)

// String returns the transport's name in FORMAT.md: "cookie" or "token".
func (t transport) String() string {
	if t == viaHeader {
		return "token"
	}
	return "cookie"
}

// payload is the plaintext of a cookie.
type payload struct {
	issuedAt, expiresAt, renewedAt int64 // Unix seconds
	// checkedAt is when Config.Revalidate last passed, if that is after
	// issuedAt; otherwise the session counts as checked when issued.
	checkedAt  int64
	id         [idSize]byte
	persistent bool
	entries    []entry // strictly increasing keys
	flashes    []entry // in insertion order
	version    byte    // the format it was opened in; 0 if never sealed
}

// recordsChecked reports whether p's plaintext carries revalidated_at.
func (p *payload) recordsChecked() bool { return p.checkedAt > p.issuedAt }

// plainLen is the number of plaintext bytes p seals to.
func (p *payload) plainLen() int {
	n := fixedPlain
	if p.recordsChecked() {
		n += checkedSize
	}
	for _, e := range p.entries {
		n += entryHeader + len(e.key) + len(e.value)
	}
	for _, e := range p.flashes {
		n += entryHeader + len(e.key) + len(e.value)
	}
	return n
}

// A Codec seals single values into cookie values and opens them again with
// the keys of a [KeyRing], in the wire format of FORMAT.md: it seals
// version 2 and opens versions 1 and 2. Values are JSON. A Codec is safe
// for concurrent use.
//
// Codec satisfies [securecookie.Codec], so it can stand in for
// securecookie.New in gorilla/sessions' CookieStore. There, mind that:
//   - values of type map[any]any (gorilla's session.Values) are stored as
//     JSON objects and need string keys; after a round trip, numbers come
//     back as float64 and nested maps as map[string]any;
//   - the store's MaxAge does not reach a Codec: give NewCodec the same
//     maximum age as the store's Options.MaxAge;
//   - gorilla wraps Decode's error in a securecookie.MultiError, which
//     errors.Is does not see through; use errors.As to get at it.
//
// Like [json.Unmarshal], Decode into a non-empty map adds to it.
type Codec struct {
	ring   *KeyRing
	maxAge time.Duration
	skew   time.Duration
	idle   time.Duration // if positive, values not renewed for this long are expired
	limit  int           // the longest token or joined chunks accepted, with the name
}

var _ securecookie.Codec = (*Codec)(nil)

const (
	defaultLifetime = 24 * time.Hour
	defaultSkew     = time.Minute
)

// NewCodec returns a Codec that seals with ring's primary key and opens with
// any key in ring. Encoded values expire maxAge, counted in whole seconds,
// after they are encoded; zero means 24 hours. It panics if ring is nil or
// empty, or maxAge is negative or under a second.
func NewCodec(ring *KeyRing, maxAge time.Duration) *Codec {
	if ring == nil || len(ring.keys) == 0 || maxAge < 0 || (maxAge > 0 && maxAge < time.Second) {
		panic("cookiesession: NewCodec needs a key ring and a maxAge of zero or at least a second")
	}
	if maxAge == 0 {
		maxAge = defaultLifetime
	}
	return &Codec{ring: ring, maxAge: maxAge, skew: defaultSkew, limit: MaxCookieSize}
}

// Encode seals value, marshalled as JSON, for the cookie called name. It
// returns an error matching [ErrTooLarge] if len(name)+len(result) would
// exceed 4096 bytes, the most a browser stores.
func (c *Codec) Encode(name string, value any) (string, error) {
	if m, ok := value.(map[any]any); ok {
		s, err := stringKeys(m)
		if err != nil {
			return "", err
		}
		value = s
	}
	v, err := json.Marshal(value)
	if err != nil {
		return "", fmt.Errorf("cookiesession: encoding value: %w", err)
	}
	now := time.Now().Unix()
	p := payload{issuedAt: now, renewedAt: now, expiresAt: now + int64(c.maxAge/time.Second), persistent: true}
	p.id = newID()
	p.entries = []entry{{key: codecEntry, value: v}}
	buf := getBuf()
	defer putBuf(buf)
	b, err := c.seal(*buf, name, viaCookie, &p, 1)
	if err != nil {
		return "", err
	}
	*buf = b
	return string(b), nil
}

// Decode opens value, sealed for the cookie called name, and unmarshals it
// into dst, which must be a pointer. Every failure to open matches
// [ErrInvalid]; an expired value also matches [ErrExpired]. A value opened
// with a key other than the ring's primary still decodes.
func (c *Codec) Decode(name, value string, dst any) error {
	// The plaintext is not pooled: an UnmarshalJSON method that keeps its
	// input, against its contract, must not see another request's session.
	var p payload
	if _, err := c.open(&p, name, value, viaCookie, 1, time.Now()); err != nil {
		return err
	}
	if len(p.entries) != 1 || p.entries[0].key != codecEntry || len(p.flashes) != 0 {
		return invalid(ReasonPlaintext)
	}
	if m, ok := dst.(*map[any]any); ok && m != nil {
		return decodeAnyMap(p.entries[0].value, m)
	}
	if err := json.Unmarshal(p.entries[0].value, dst); err != nil {
		return fmt.Errorf("cookiesession: decoding value: %w", err)
	}
	return nil
}

// seal appends the value for p, sealed for the cookie called name and
// transport t, under the ring's primary key with a fresh random nonce, to
// dst: in format v2, or in v3 for a cookie split over chunks cookies.
func (c *Codec) seal(dst []byte, name string, t transport, p *payload, chunks int) ([]byte, error) {
	var nonce [nonceSize]byte
	rand.Read(nonce[:])
	return c.appendSeal(dst, name, t, p, c.ring.primary(), nonce[:], chunks)
}

// appendSeal appends the value for p, sealed for the cookie called name and
// transport t under k with nonce, to dst: in v2 if chunks is 1, otherwise
// in v3 with that count. It refuses a value that open would refuse as too
// long.
func (c *Codec) appendSeal(dst []byte, name string, t transport, p *payload, k *ringKey, nonce []byte, chunks int) ([]byte, error) {
	n := p.plainLen()
	header := headerLen(chunks)
	limit := c.limitFor(t, chunks)
	if size := len(name) + b64.EncodedLen(header+n+tagSize); size > limit {
		return dst, &SizeError{Name: name, Size: size, Limit: limit}
	}
	// The scratch buffer holds the header, the plaintext, sealed in place,
	// and after the tag the additional data.
	scratch := getBuf()
	defer putBuf(scratch)
	adStart := header + n + tagSize
	buf := slices.Grow((*scratch)[:0], adStart+adLen(name))
	*scratch = buf[:adStart+adLen(name)]
	if chunks == 1 {
		buf = append(buf, version2)
		buf = append(buf, k.id[:]...)
	} else {
		buf = append(buf, version3)
		buf = append(buf, k.id[:]...)
		buf = append(buf, byte(chunks))
	}
	buf = append(buf, nonce...)
	plain := appendPlain(buf[header:header], p)
	if len(plain) != n {
		return dst, errors.New("cookiesession: session key, value or times out of range")
	}
	ad := appendAD(buf[adStart:adStart], buf[:header-nonceSize], t, name)
	sealed := k.aead.Seal(plain[:0], buf[header-nonceSize:header], plain, ad)
	return b64.AppendEncode(dst, buf[:header+len(sealed)]), nil
}

// headerLen is the length of the header of a value split over chunks
// cookies: version, key ID, in v3 the count, and nonce.
func headerLen(chunks int) int {
	if chunks == 1 {
		return headerSize
	}
	return headerSize + 1
}

// open authenticates and parses value, sealed for the cookie called name,
// received by transport t and joined from chunks cookies (1 if it came
// whole), into p, and checks its times against now. It returns the key that
// opened the value, and counts the use. p's values alias a new allocation,
// which also holds the additional data. Every error is an *InvalidError,
// and p is undefined after one.
func (c *Codec) open(p *payload, name, value string, t transport, chunks int, now time.Time) (*ringKey, error) {
	k, err := c.ring.unseal(p, name, value, t, chunks, c.limitFor(t, chunks))
	if err != nil {
		return nil, err
	}
	if err := c.checkTimes(p, now); err != nil {
		return nil, err
	}
	k.used(now)
	return k, nil
}

// limitFor is the most len(name)+len(value) may be for a value that travels
// by t, joined from chunks cookies: a browser's limit for one cookie, and
// c.limit for a token or chunks.
func (c *Codec) limitFor(t transport, chunks int) int {
	if t == viaHeader || chunks > 1 {
		return c.limit
	}
	return MaxCookieSize
}

// unseal applies FORMAT.md's rules 1 to 7 to value, sealed for the cookie
// called name, received by transport t and joined from chunks cookies (1 if
// it came whole), with limit as rule 1's bound on len(name)+len(value). It
// parses value into p as open does, and returns the key that opened it,
// without counting the use.
func (r *KeyRing) unseal(p *payload, name, value string, t transport, chunks, limit int) (*ringKey, error) {
	if len(name)+len(value) > limit {
		return nil, invalid(ReasonTooLong)
	}
	n := b64.DecodedLen(len(value))
	buf := make([]byte, n+adLen(name))
	// Strict decoding rejects non-zero trailing bits; the length check rejects
	// CR and LF, which the decoder skips, so that one cookie has one spelling.
	n, err := b64.Decode(buf[:n], []byte(value))
	if err != nil || b64.EncodedLen(n) != len(value) {
		return nil, invalid(ReasonMalformed)
	}
	raw, rest := buf[:n:n], buf[n:]
	if len(raw) < sealedMin || (raw[0] == version3 && len(raw) < sealedMin+1) {
		return nil, invalid(ReasonTooShort)
	}
	// Version 1 predates other transports: its values exist only as cookies.
	// Version 3 exists only split over several cookies, as many as it says.
	switch v := raw[0]; {
	case v == version2 && chunks == 1, v == version1 && chunks == 1 && t == viaCookie:
	case v == version3 && chunks > 1 && t == viaCookie && int(raw[1+keyIDSize]) == chunks:
	default:
		return nil, invalid(ReasonVersion)
	}
	header := headerLen(chunks)
	k := r.lookup(raw[1 : 1+keyIDSize])
	if k == nil {
		return nil, &InvalidError{Reason: ReasonUnknownKey, KeyID: hex.EncodeToString(raw[1 : 1+keyIDSize])}
	}
	ad := appendAD(rest[:0], raw[:header-nonceSize], t, name)
	plain, err := k.aead.Open(raw[header:header], raw[header-nonceSize:header], raw[header:], ad)
	if err != nil {
		return nil, invalid(ReasonAuth)
	}
	if !parsePlain(plain, p, raw[0]) {
		return nil, invalid(ReasonPlaintext)
	}
	return k, nil
}

// checkTimes enforces the sealed expiry, the lifetime and the idle timeout,
// and rejects timestamps further in the future than the clock skew allows.
func (c *Codec) checkTimes(p *payload, now time.Time) error {
	return checkTimes(p, now, c.skew, c.expiry(p))
}

// checkTimes applies FORMAT.md's rules 8 and 9 with the given skew, and an
// expiry no later than the sealed one.
func checkTimes(p *payload, now time.Time, skew time.Duration, expiry int64) error {
	t := now.Unix()
	future := t + int64(skew/time.Second)
	if p.issuedAt > future || p.renewedAt > future {
		return invalid(ReasonFuture)
	}
	if t >= expiry {
		return invalid(ReasonExpired)
	}
	return nil
}

// expiry is when p ends: its sealed expiry, the end of the lifetime the
// codec allows now (so lowering it also shortens sessions already issued),
// or the end of the idle timeout, whichever comes first.
func (c *Codec) expiry(p *payload) int64 {
	end := min(p.expiresAt, p.issuedAt+int64(c.maxAge/time.Second))
	if c.idle > 0 {
		end = min(end, p.renewedAt+int64(c.idle/time.Second))
	}
	return end
}

// appendAD appends the additional data of a value sealed for the cookie
// called name to b: the header's version and key ID (and in v3 the count),
// from v2 the transport, then the name with its length as a big-endian
// uint16.
func appendAD(b, header []byte, t transport, name string) []byte {
	b = append(b, header...)
	if header[0] != version1 {
		b = append(b, byte(t))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(name)))
	return append(b, name...)
}

func adLen(name string) int { return 1 + keyIDSize + 1 + 1 + 2 + len(name) }

// appendPlain appends the plaintext of p to b: the v2 layout, which is the
// v1 layout when p records no revalidation. It returns nil if p breaks a
// rule that parsePlain enforces (times out of order; a key empty, too long
// or not UTF-8; a value too long; entry keys not increasing), so that no
// cookie is sealed that cannot be opened. encodedLen keeps every valid
// cookie far below the length bounds, so that is a programming error
// upstream.
func appendPlain(b []byte, p *payload) []byte {
	if p.issuedAt > p.renewedAt || p.renewedAt >= p.expiresAt || p.checkedAt > p.renewedAt {
		return nil
	}
	b = binary.BigEndian.AppendUint64(b, uint64(p.issuedAt))
	b = binary.BigEndian.AppendUint64(b, uint64(p.expiresAt))
	b = binary.BigEndian.AppendUint64(b, uint64(p.renewedAt))
	b = append(b, p.id[:]...)
	var flags byte
	if p.persistent {
		flags |= flagPersist
	}
	if p.recordsChecked() {
		flags |= flagChecked
	}
	b = append(b, flags)
	if p.recordsChecked() {
		b = binary.BigEndian.AppendUint64(b, uint64(p.checkedAt))
	}
	for i, section := range [][]entry{p.entries, p.flashes} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(section)))
		for j, e := range section {
			if len(e.key) == 0 || len(e.key) > maxKeyLen || len(e.value) > maxValueLen || !utf8.ValidString(e.key) ||
				(i == 0 && j > 0 && section[j-1].key >= e.key) {
				return nil
			}
			b = append(b, byte(len(e.key)))
			b = binary.BigEndian.AppendUint16(b, uint16(len(e.value)))
			b = append(b, e.key...)
			b = append(b, e.value...)
		}
	}
	return b
}

// parsePlain parses a plaintext of the given format version into p and
// reports whether it is valid; if it is not, p is undefined. The values
// alias b, and no value is unmarshalled. The entries of both sections share
// one allocation and their keys another, of just their bytes.
func parsePlain(b []byte, p *payload, version byte) bool {
	if len(b) < fixedPlain {
		return false
	}
	*p = payload{
		issuedAt:  int64(binary.BigEndian.Uint64(b[0:])),
		expiresAt: int64(binary.BigEndian.Uint64(b[8:])),
		renewedAt: int64(binary.BigEndian.Uint64(b[16:])),
		version:   version,
	}
	p.checkedAt = p.issuedAt
	copy(p.id[:], b[24:24+idSize])
	flags := b[24+idSize]
	defined := byte(flagPersist)
	if version != version1 {
		defined |= flagChecked
	}
	if flags&^defined != 0 || p.issuedAt > p.renewedAt || p.renewedAt >= p.expiresAt {
		return false
	}
	p.persistent = flags&flagPersist != 0

	// First check the framing, counting entries and key bytes.
	start := 24 + idSize + 1
	if flags&flagChecked != 0 {
		if len(b) < fixedPlain+checkedSize {
			return false
		}
		p.checkedAt = int64(binary.BigEndian.Uint64(b[start:]))
		if p.checkedAt <= p.issuedAt || p.checkedAt > p.renewedAt {
			return false
		}
		start += checkedSize
	}
	var count [2]int
	keyBytes := 0
	off := start
	for s := range count {
		if len(b)-off < 2 {
			return false
		}
		count[s] = int(binary.BigEndian.Uint16(b[off:]))
		off += 2
		for range count[s] {
			if len(b)-off < entryHeader {
				return false
			}
			k, v, end := entryAt(b, off)
			if k == v || end > len(b) {
				return false
			}
			keyBytes += v - k
			off = end
		}
	}
	if off != len(b) {
		return false
	}

	// Then slice the entries. Strings that a Builder returned stay valid as
	// it grows, and sized once it does not grow: one allocation, of just the
	// key bytes, backs every key.
	var keys strings.Builder
	keys.Grow(keyBytes)
	es := make([]entry, count[0]+count[1])
	off = start
	for s, i := 0, 0; s < len(count); s++ {
		off += 2
		for j := range count[s] {
			k, v, end := entryAt(b, off)
			keys.Write(b[k:v])
			key := keys.String()[keys.Len()-(v-k):]
			if !utf8.ValidString(key) || (s == 0 && j > 0 && es[i-1].key >= key) {
				return false
			}
			es[i] = entry{key: key, value: b[v:end:end]}
			off = end
			i++
		}
	}
	if count[0] > 0 {
		p.entries = es[:count[0]:count[0]]
	}
	if count[1] > 0 {
		p.flashes = es[count[0]:]
	}
	return true
}

// entryAt returns where the key and the value of the entry framed at off
// start, and where the entry ends.
func entryAt(b []byte, off int) (key, value, end int) {
	key = off + entryHeader
	value = key + int(b[off])
	return key, value, value + int(binary.BigEndian.Uint16(b[off+1:]))
}

// bufPool holds scratch buffers for sealing, each large enough for any
// cookie's sealed bytes and additional data, or for a Set-Cookie line. A
// buffer comes out of getBuf empty; putBuf clears its length, which the
// user sets to cover what it wrote.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2*MaxCookieSize); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	clear(*b)
	*b = (*b)[:0]
	bufPool.Put(b)
}

func newID() (id [idSize]byte) {
	rand.Read(id[:])
	return id
}

func stringKeys(m map[any]any) (map[string]any, error) {
	s := make(map[string]any, len(m))
	for k, v := range m {
		ks, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("cookiesession: map key of type %T: only string keys can be encoded", k)
		}
		s[ks] = v
	}
	return s, nil
}

func decodeAnyMap(v []byte, dst *map[any]any) error {
	var s map[string]any
	if err := json.Unmarshal(v, &s); err != nil {
		return fmt.Errorf("cookiesession: decoding value: %w", err)
	}
	if *dst == nil {
		*dst = make(map[any]any, len(s))
	}
	for k, e := range s {
		(*dst)[k] = e
	}
	return nil
}
