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
// times, as cookies and as tokens. It must never panic, must reject with
// ErrInvalid, and may accept only canonical values: a version 2 value
// re-seals to itself, and a version 1 value is a cookie.
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
		var dst any
		if derr := c.Decode(name, value, &dst); derr != nil && !errors.Is(derr, ErrInvalid) {
			t.Errorf("Decode: got %v, want nil or ErrInvalid", derr)
		}
		for _, tr := range []transport{viaCookie, viaHeader} {
			p, k, err := c.openVia(name, value, tr, time.Unix(now, 0))
			if err != nil {
				if p != nil || k != nil {
					t.Errorf("open: got a payload or key with %v, want neither", err)
				}
				if !errors.Is(err, ErrInvalid) || !slices.Contains(allReasons, reasonOf(err)) {
					t.Errorf("open: got %v, want ErrInvalid with a known reason", err)
				}
				continue
			}
			checkAccepted(t, c, name, value, tr, now, p, k)
		}
	})
}

// checkAccepted checks what open accepted: canonical base64url, a
// plaintext that re-serialises to itself, a version 2 value that re-seals
// to itself or a version 1 cookie, and times within the rules.
func checkAccepted(t *testing.T, c *Codec, name, value string, tr transport, now int64, p *payload, k *ringKey) {
	raw, err := b64.DecodeString(value)
	if err != nil || b64.EncodeToString(raw) != value {
		t.Fatalf("accepted %q, which is not canonical base64url", value)
	}
	plain, err := k.aead.Open(nil, raw[1+keyIDSize:headerSize], raw[headerSize:], appendAD(nil, raw[:1+keyIDSize], tr, name))
	if err != nil {
		t.Fatalf("accepted value does not open with its key: %v", err)
	}
	if got := appendPlain(nil, p); !bytes.Equal(got, plain) {
		t.Errorf("re-serialised plaintext:\ngot  %x\nwant %x", got, plain)
	}
	switch {
	case raw[0] == version1 && tr != viaCookie:
		t.Errorf("accepted a version 1 value as a %s", tr)
	case raw[0] == version2:
		if got, err := c.sealVia(name, tr, p, k, raw[1+keyIDSize:headerSize]); err != nil || got != value {
			t.Errorf("re-sealed: got %q, %v; want %q", got, err, value)
		}
	}
	if p.issuedAt > p.renewedAt || p.renewedAt >= p.expiresAt || now >= p.expiresAt || p.renewedAt > now+60 {
		t.Errorf("accepted times issued %d renewed %d expires %d at %d", p.issuedAt, p.renewedAt, p.expiresAt, now)
	}
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
		checked := v.IssuedAt
		if v.RevalidatedAt != nil {
			checked = *v.RevalidatedAt
		}
		f.Add(v.Cookie, v.IssuedAt, v.RenewedAt, v.ExpiresAt, checked, decodeHex(f, v.SessionID), v.Persistent, true,
			v.Transport == "token", recordBlob(v.Entries), recordBlob(v.Flashes))
	}
	if len(vf.Valid) == 0 {
		f.Fatal("no seeds in " + vectorsPath)
	}
	ring := testRing(f, 1)
	c := NewCodec(ring, 0)
	nonce := testNonce("round trip")
	f.Fuzz(func(t *testing.T, name string, issued, renewed, expires, checked int64, id []byte, persistent, sorted, header bool, entries, flashes []byte) {
		if len(name)+len(entries)+len(flashes) > 4*MaxCookieSize {
			// Sizes a little over the limit test the refusal as well; the
			// megabytes the mutator sometimes makes only slow the checks here.
			return
		}
		p := &payload{issuedAt: issued, renewedAt: renewed, expiresAt: expires, checkedAt: checked, persistent: persistent,
			entries: blobEntries(entries), flashes: blobEntries(flashes)}
		tr := viaCookie
		if header {
			tr = viaHeader
		}
		copy(p.id[:], id)
		if sorted {
			slices.SortFunc(p.entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
			p.entries = slices.CompactFunc(p.entries, func(a, b entry) bool { return a.key == b.key })
		}
		want := specFromPayload(p)
		allowed := !slices.ContainsFunc(append(slices.Clone(p.entries), p.flashes...), func(e entry) bool { return len(e.key) > maxKeyLen })
		if allowed {
			_, allowed = specParse(want.bytes(), version2)
		}
		fits := len(name)+encodedLen(p.plainLen()) <= MaxCookieSize

		v, err := c.sealVia(name, tr, p, ring.primary(), nonce)
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
		opened, k, err := c.openVia(name, v, tr, time.Unix(renewed, 0))
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
		f.Add(decodeHex(f, v.Plaintext), v.Version == 1)
		seeds++
	}
	for _, g := range vf.Invalid {
		for _, v := range g.Vectors {
			if v.Sealed != nil {
				f.Add(decodeHex(f, v.Sealed.Plaintext), v.Sealed.Version == 1)
				seeds++
			}
		}
	}
	if seeds == 0 {
		f.Fatal("no seeds in " + vectorsPath)
	}
	f.Fuzz(func(t *testing.T, b []byte, v1 bool) {
		version := byte(version2)
		if v1 {
			version = version1
		}
		p := new(payload)
		ok := parsePlain(b, p, version)
		s, specOK := specParse(b, version)
		if ok != specOK {
			t.Fatalf("parsePlain(%x, version %d): got %v, spec parser says %v", b, version, ok, specOK)
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
