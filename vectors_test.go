package cookiesession

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from buildVectors")

// vectorT0 is 2026-01-01T00:00:00Z, the time most vectors are built around.
const vectorT0 = 1767225600

// allReasons lists every Reason in the order of FORMAT.md's MUST-reject
// rules, the chunk rules first.
var allReasons = []Reason{
	ReasonChunks, ReasonTooLong, ReasonMalformed, ReasonTooShort, ReasonVersion, ReasonUnknownKey,
	ReasonAuth, ReasonPlaintext, ReasonFuture, ReasonExpired,
}

// checkInspect checks that KeyRing.Inspect reports a valid vector's
// fields, or KeyRing.InspectChunks for a vector with cookies.
func checkInspect(t *testing.T, ring *KeyRing, v validVector, s specPlain, now time.Time) {
	t.Helper()
	values := []string{v.Value}
	if v.MaxCookies > 0 {
		values = chunkValues(v.Cookie, v.Cookies, v.MaxCookies)
	}
	c, err := ring.InspectChunks(v.Cookie, values, now)
	if err != nil {
		t.Fatalf("InspectChunks: %v", err)
	}
	want := &Contents{
		Version: v.Version, Transport: v.Transport, KeyID: ring.keys[v.SealedWith].idString(), Primary: v.SealedWith == 0,
		IssuedAt: time.Unix(s.issued, 0), ExpiresAt: time.Unix(s.expires, 0), RenewedAt: time.Unix(s.renewed, 0),
		SessionID: b64url(s.id), Persistent: s.flags&flagPersist != 0, Cookies: max(len(v.Cookies), 1),
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
	skew := vf.SkewSeconds
	t.Run("valid", func(t *testing.T) {
		for _, v := range vf.Valid {
			t.Run(v.Name, func(t *testing.T) { checkValidVector(t, v, skew) })
		}
	})
	t.Run("reseal", func(t *testing.T) {
		for _, v := range vf.Reseal {
			t.Run(v.Name, func(t *testing.T) { checkResealVector(t, v, skew) })
		}
	})
	t.Run("invalid", func(t *testing.T) {
		for _, g := range vf.Invalid {
			for _, v := range g.Vectors {
				t.Run(string(g.Reason)+"/"+v.Name, func(t *testing.T) { checkInvalidVector(t, g.Reason, v, skew) })
			}
		}
	})
	if len(vf.Reseal) == 0 {
		t.Errorf("got no re-seal vectors, want some")
	}
	checkGroups(t, vf.Invalid)
	if spec, err := os.ReadFile("FORMAT.md"); err != nil || !strings.Contains(strings.Join(strings.Fields(string(spec)), " "), vectorCounts(vf)) {
		t.Errorf("FORMAT.md, Test vectors: got no %q (read error: %v), want the counts of %s", vectorCounts(vf), err, vectorsPath)
	}
}

// checkGroups checks that every rule has a group of vectors, in the order
// of the rules, and that every pair of adjacent rules that one value can
// break has a vector that breaks both. Rules 8 and 9 cannot both be
// broken: expires_at comes after renewed_at, which comes after issued_at.
func checkGroups(t *testing.T, groups []invalidGroup) {
	var reasons []Reason
	pairs := map[[2]Reason]bool{}
	for _, g := range groups {
		if len(g.Vectors) == 0 {
			t.Errorf("group %q: got no vectors, want some", g.Reason)
		}
		reasons = append(reasons, g.Reason)
		for _, v := range g.Vectors {
			if v.Also != "" {
				pairs[[2]Reason{g.Reason, v.Also}] = true
			}
		}
	}
	if !reflect.DeepEqual(reasons, allReasons) {
		t.Errorf("invalid groups: got %q, want %q", reasons, allReasons)
	}
	for i := range len(allReasons) - 1 {
		pair := [2]Reason{allReasons[i], allReasons[i+1]}
		if !pairs[pair] && pair != [2]Reason{ReasonFuture, ReasonExpired} {
			t.Errorf("no vector breaks both %q and %q; want one, in the group of %[1]q", pair[0], pair[1])
		}
	}
}

func checkValidVector(t *testing.T, v validVector, skew int64) {
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
	checkSpecSeal(t, v, secrets[v.SealedWith], nonce, wantPlain)
	if got, gotVersion, key, reason := specOpen(v.specInput(secrets, skew)); reason != "" || gotVersion != version || key != v.SealedWith || !equalSpec(got, s) {
		t.Errorf("spec open: got %v, version %d, key %d, reason %q; want %v, version %d, key %d", got, gotVersion, key, reason, s, version, v.SealedWith)
	}
	// chunks is the number of cookies the value is joined from: 1 unless
	// it is in version 3.
	chunks := max(len(v.Cookies), 1)
	c := NewCodec(ring, 0)
	c.limit = max(v.MaxCookies, 1) * MaxCookieSize
	k := ring.keys[v.SealedWith]
	switch version {
	case version2, version3:
		if got, err := c.appendSeal(nil, v.Cookie, tr, p, k, nonce, chunks); err != nil || string(got) != v.Value {
			t.Errorf("appendSeal:\ngot  %s, %v\nwant %s, nil", got, err, v.Value)
		}
	case version1:
		if tr != viaCookie {
			t.Fatalf("a version 1 vector for transport %s: version 1 has cookies only", v.Transport)
		}
	default:
		t.Fatalf("version %d: want 1, 2 or 3", version)
	}
	if (version == version3) != (chunks > 1) || chunks > 1 && tr != viaCookie {
		t.Fatalf("version %d for transport %s in %d cookies: want version 3 for two cookies or more, and only then", version, v.Transport, chunks)
	}
	pairs := v.Cookies
	if pairs == nil {
		pairs = []cookiePair{{v.Cookie, v.Value}}
	}
	for _, ck := range pairs {
		if n := len(ck.Name) + len(ck.Value); n > MaxCookieSize {
			t.Errorf("%s: len(name)+len(value) %d, want <= %d", ck.Name, n, MaxCookieSize)
		}
	}
	now := time.Unix(v.Now, 0)
	opened := new(payload)
	key, err := c.open(opened, v.Cookie, v.Value, tr, chunks, now)
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
	if resealed, err := c.appendSeal(nil, v.Cookie, tr, opened, ring.primary(), nonce, chunks); err != nil {
		t.Errorf("re-seal: %v", err)
	} else if again := new(payload); !opens(c, again, v.Cookie, string(resealed), tr, chunks, now) || !equalSpec(specFromPayload(again), s) {
		t.Errorf("re-sealed under the primary key: got %v; want %v", again, s)
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
	if v.MaxCookies > 0 {
		t.Run("Manager", func(t *testing.T) { checkManagerOpens(t, v, secrets, s) })
	}
}

// checkSpecSeal checks that the spec's sealer writes v's value, and for a
// cookie of version 2 or 3 that it chooses v's version and cookies.
func checkSpecSeal(t *testing.T, v validVector, secret, nonce, plain []byte) {
	t.Helper()
	if v.Transport != "cookie" || v.Version == 1 {
		if got := specSealVia(secret, nonce, byte(v.Version), v.Transport, v.Cookie, plain); got != v.Value {
			t.Errorf("spec seal:\ngot  %s\nwant %s", got, v.Value)
		}
		return
	}
	version, value, cookies := specSealCookie(secret, nonce, v.Cookie, plain)
	if int(version) != v.Version || value != v.Value {
		t.Errorf("spec seal: got version %d\n%s\nwant version %d\n%s", version, value, v.Version, v.Value)
	}
	if v.Cookies != nil && !slices.Equal(cookies, v.Cookies) {
		t.Errorf("spec split: got %d cookies %q, want %d %q", len(cookies), cookieNames(cookies), len(v.Cookies), cookieNames(v.Cookies))
	}
	if v.Cookies != nil && specJoinValues(v.Cookies) != v.Value {
		t.Errorf("cookies: their values joined are not the value")
	}
}

func checkInvalidVector(t *testing.T, reason Reason, v invalidVector, skew int64) {
	secrets, ring := vectorRing(t, v.Keys)
	in := v.specInput(t, secrets, skew)
	if v.Sealed != nil {
		checkAuthentic(t, reason, v)
		in.sealed, in.sealedVersion, in.hasSealed = decodeHex(t, v.Sealed.Plaintext), byte(v.Sealed.Version), true
	}
	if _, _, _, got := specOpen(in); got != reason {
		t.Errorf("spec open: got reason %q, want %q", got, reason)
	}
	if v.Also != "" {
		if slices.Index(allReasons, v.Also) <= slices.Index(allReasons, reason) {
			t.Errorf("also %q: want a rule after %q", v.Also, reason)
		} else if !specBreaks(in, v.Also) {
			t.Errorf("spec: got the value within rule %q, want it broken too", v.Also)
		}
	}
	now := time.Unix(v.Now, 0)
	if v.MaxCookies > 0 {
		checkInvalidChunks(t, reason, v, ring, secrets)
	} else {
		// An opener that reads no chunks, as Codec.Decode.
		c := NewCodec(ring, 0)
		p, k, err := c.openVia(v.Cookie, v.Value, vectorTransport(t, v.Transport), now)
		if p != nil || k != nil {
			t.Errorf("open: got payload %v and key %v, want nil", p != nil, k != nil)
		}
		wantInvalid(t, err, reason)
	}
	// Inspect takes either transport, so only a cookie's failure to open
	// as either is its failure too. It reads chunks, so a first chunk is
	// left to the vectors that give max_cookies.
	if _, first := specFirstChunk(v.Value); v.Transport == "cookie" && reason != ReasonAuth && v.MaxCookies == 0 && !first {
		_, err := ring.Inspect(v.Cookie, v.Value, now)
		wantInvalid(t, err, reason)
	}
	for i, st := range ring.Stats() {
		if st.Opens != 0 || !st.LastUsed.IsZero() {
			t.Errorf("Stats()[%d] after a rejection: got %d opens at %v, want none", i, st.Opens, st.LastUsed)
		}
	}
}

// checkAuthentic confirms that an invalid vector's value, or its cookies'
// values joined, is exactly its recorded seal, and that the spec parser
// agrees about its plaintext.
func checkAuthentic(t *testing.T, reason Reason, v invalidVector) {
	in := v.Sealed
	secret, err := base64.RawURLEncoding.Strict().DecodeString(in.Key)
	if err != nil {
		t.Fatal(err)
	}
	aeadKey, _ := specKeys(secret)
	keyID, nonce, plain := decodeHex(t, in.KeyID), decodeHex(t, in.Nonce), decodeHex(t, in.Plaintext)
	version := byte(in.Version)
	header, ad := append([]byte{version}, keyID...), specAD(version, keyID, transports[in.Transport], in.Cookie)
	if version == 3 {
		header, ad = append(header, byte(in.Count)), specAD3(keyID, byte(in.Count), transports[in.Transport], in.Cookie)
	}
	value := v.Value
	if v.Cookies != nil {
		value = specJoinValues(v.Cookies)
	}
	if got := specSealHeader(aeadKey, header, nonce, ad, plain); got != value {
		t.Errorf("value is not the seal of its recorded inputs:\ngot  %s\nwant %s", got, value)
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
