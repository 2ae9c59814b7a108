package cookiesession

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzDecode opens arbitrary values under arbitrary names at arbitrary
// times. It must never panic, must reject with ErrInvalid, and may accept
// only canonical values that re-seal to themselves.
func FuzzDecode(f *testing.F) {
	vf := loadVectors(f)
	seeds := 0
	for _, v := range vf.Valid {
		f.Add(v.Cookie, v.Value, v.Now)
		seeds++
	}
	for _, g := range vf.Invalid {
		for _, v := range g.Vectors {
			f.Add(v.Cookie, v.Value, v.Now)
			seeds++
		}
	}
	if seeds == 0 {
		f.Fatal("no seeds in " + vectorsPath)
	}
	ring := testRing(f, 1, 2, 3)
	c := NewCodec(ring, 0)
	f.Fuzz(func(t *testing.T, name, value string, now int64) {
		p, k, err := c.openNew(name, value, time.Unix(now, 0))
		var dst any
		if derr := c.Decode(name, value, &dst); derr != nil && !errors.Is(derr, ErrInvalid) {
			t.Errorf("Decode: got %v, want nil or ErrInvalid", derr)
		}
		if err != nil {
			if p != nil || k != nil {
				t.Errorf("open: got a payload or key with %v, want neither", err)
			}
			if !errors.Is(err, ErrInvalid) || !slices.Contains(allReasons, reasonOf(err)) {
				t.Errorf("open: got %v, want ErrInvalid with a known reason", err)
			}
			return
		}
		raw, err := b64.DecodeString(value)
		if err != nil || b64.EncodeToString(raw) != value {
			t.Fatalf("accepted %q, which is not canonical base64url", value)
		}
		plain, err := k.aead.Open(nil, raw[1+keyIDSize:headerSize], raw[headerSize:], appendAD(nil, raw[:1+keyIDSize], name))
		if err != nil {
			t.Fatalf("accepted value does not open with its key: %v", err)
		}
		if got := appendPlain(nil, p); !bytes.Equal(got, plain) {
			t.Errorf("re-serialised plaintext:\ngot  %x\nwant %x", got, plain)
		}
		if got, err := c.sealNonce(name, p, k, raw[1+keyIDSize:headerSize]); err != nil || got != value {
			t.Errorf("re-sealed: got %q, %v; want %q", got, err, value)
		}
		if p.issuedAt > p.renewedAt || p.renewedAt >= p.expiresAt || now >= p.expiresAt || p.renewedAt > now+60 {
			t.Errorf("accepted times issued %d renewed %d expires %d at %d", p.issuedAt, p.renewedAt, p.expiresAt, now)
		}
	})
}

// blobEntries reads records laid out as recordBlob lays them, up to the first
// that does not fit; keys may be empty or not UTF-8.
func blobEntries(b []byte) []entry {
	var es []entry
	for len(b) >= entryHeader {
		kl, vl := int(b[0]), int(binary.BigEndian.Uint16(b[1:]))
		b = b[entryHeader:]
		if len(b) < kl+vl {
			break
		}
		es = append(es, entry{key: string(b[:kl]), value: b[kl : kl+vl]})
		b = b[kl+vl:]
	}
	return es
}

// FuzzRoundTrip seals arbitrary sessions. Whatever the spec allows and fits
// must open to exactly what was sealed; anything else must be refused.
func FuzzRoundTrip(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Valid {
		f.Add(v.Cookie, v.IssuedAt, v.RenewedAt, v.ExpiresAt, decodeHex(f, v.SessionID), v.Persistent, true,
			recordBlob(v.Entries), recordBlob(v.Flashes))
	}
	if len(vf.Valid) == 0 {
		f.Fatal("no seeds in " + vectorsPath)
	}
	ring := testRing(f, 1)
	c := NewCodec(ring, 0)
	nonce := testNonce("round trip")
	f.Fuzz(func(t *testing.T, name string, issued, renewed, expires int64, id []byte, persistent, sorted bool, entries, flashes []byte) {
		if len(name)+len(entries)+len(flashes) > 4*MaxCookieSize {
			// Sizes a little over the limit test the refusal as well; the
			// megabytes the mutator sometimes makes only slow the checks here.
			return
		}
		p := &payload{issuedAt: issued, renewedAt: renewed, expiresAt: expires, persistent: persistent,
			entries: blobEntries(entries), flashes: blobEntries(flashes)}
		copy(p.id[:], id)
		if sorted {
			slices.SortFunc(p.entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
			p.entries = slices.CompactFunc(p.entries, func(a, b entry) bool { return a.key == b.key })
		}
		want := specFromPayload(p)
		allowed := !slices.ContainsFunc(append(slices.Clone(p.entries), p.flashes...), func(e entry) bool { return len(e.key) > maxKeyLen })
		if allowed {
			_, allowed = specParse(want.bytes())
		}
		fits := len(name)+encodedLen(p.plainLen()) <= MaxCookieSize

		v, err := c.sealNonce(name, p, ring.primary(), nonce)
		switch {
		case !fits:
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("sealNonce of %d plaintext bytes for a %d-byte name: got %v, want ErrTooLarge", p.plainLen(), len(name), err)
			}
			return
		case !allowed:
			if err == nil || errors.Is(err, ErrTooLarge) {
				t.Fatalf("sealNonce of %v, which the spec rejects: got %q, %v; want an error", want, v, err)
			}
			return
		case err != nil:
			t.Fatalf("sealNonce of %v: got %v, want nil", want, err)
		}
		if len(name)+len(v) > MaxCookieSize {
			t.Fatalf("sealNonce: got %d bytes with the name, want <= %d", len(name)+len(v), MaxCookieSize)
		}
		q, ok := parseNew(appendPlain(nil, p))
		if !ok || !equalSpec(specFromPayload(q), want) {
			t.Fatalf("parseNew(appendPlain(p)): got %v, %v; want %v", ok, q != nil, want)
		}
		if renewed < -1<<50 || renewed > 1<<50 {
			return // beyond any real clock
		}
		opened, k, err := c.openNew(name, v, time.Unix(renewed, 0))
		if renewed-issued >= int64(c.maxAge/time.Second) {
			// The codec ends every value at issued_at plus its maximum age.
			if !errors.Is(err, ErrExpired) {
				t.Fatalf("open at renewed_at, past issued_at plus the maximum age: got %v, want ErrExpired", err)
			}
			return
		}
		if err != nil || k != ring.primary() {
			t.Fatalf("open at renewed_at: got %v, want nil", err)
		}
		if got := specFromPayload(opened); !equalSpec(got, want) {
			t.Fatalf("open:\ngot  %v\nwant %v", got, want)
		}
	})
}

// FuzzParsePlain parses arbitrary plaintexts. parsePlain must agree with
// the spec parser, and what it accepts must re-serialise to the same bytes.
func FuzzParsePlain(f *testing.F) {
	vf := loadVectors(f)
	seeds := 0
	for _, v := range vf.Valid {
		f.Add(decodeHex(f, v.Plaintext))
		seeds++
	}
	for _, g := range vf.Invalid {
		for _, v := range g.Vectors {
			if v.Sealed != nil {
				f.Add(decodeHex(f, v.Sealed.Plaintext))
				seeds++
			}
		}
	}
	if seeds == 0 {
		f.Fatal("no seeds in " + vectorsPath)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, ok := parseNew(b)
		s, specOK := specParse(b)
		if ok != specOK {
			t.Fatalf("parseNew(%x): got %v, spec parser says %v", b, ok, specOK)
		}
		if !ok {
			return
		}
		if got := specFromPayload(p); !equalSpec(got, s) {
			t.Errorf("parsePlain:\ngot  %v\nwant %v", got, s)
		}
		if got := appendPlain(nil, p); !bytes.Equal(got, b) {
			t.Errorf("appendPlain(parseNew(b)):\ngot  %x\nwant %x", got, b)
		}
	})
}
