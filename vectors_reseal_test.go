package cookiesession

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"testing/synctest"
	"time"
)

// Re-seal vectors: a value that an opener re-seals on its next response
// (FORMAT.md "Re-sealing"), because it is in version 1 or under a key other
// than the primary, and the value it writes.

// resealVector is a valid vector and what an opener writes for it on its
// response at Now.
type resealVector struct {
	validVector
	Resealed resealedValue `json:"resealed"`
}

// resealedValue is the re-sealed value: version 2 under the primary key,
// for the vector's cookie and transport, with every field of the session
// the same but those given here.
type resealedValue struct {
	Nonce         string `json:"nonce"`
	IssuedAt      int64  `json:"issued_at"`
	ExpiresAt     int64  `json:"expires_at"`
	RenewedAt     int64  `json:"renewed_at"`
	RevalidatedAt *int64 `json:"revalidated_at,omitempty"`
	Plaintext     string `json:"plaintext"`
	Value         string `json:"value"`
}

// reseal makes the re-seal vectors: values in version 1 or under an old
// key, opened at b.now, and what the response re-seals them to.
func (b *vectorBuilder) reseal() []resealVector {
	k1, k2, now, base := b.k1, b.k2, b.now, b.base
	rotated := [][]byte{k2, k1}
	reseal := func(version byte, transport, name string, keys [][]byte, s specPlain) resealVector {
		v := validVia(version, transport, name, keys, len(keys)-1, b.cookie, s, now)
		nonce := testNonce(name + ", re-sealed")
		in := specInput{secrets: keys, cookie: v.Cookie, via: transports[transport], value: v.Value, now: now,
			skew: int64(defaultSkew / time.Second)}
		out, value, reason := specReseal(in, nonce)
		if reason != "" {
			panic("re-seal vector " + name + " does not open: " + string(reason))
		}
		r := resealVector{validVector: v, Resealed: resealedValue{
			Nonce: hex.EncodeToString(nonce), IssuedAt: out.issued, ExpiresAt: out.expires, RenewedAt: out.renewed,
			Plaintext: hex.EncodeToString(out.bytes()), Value: value,
		}}
		if out.flags&flagChecked != 0 {
			r.Resealed.RevalidatedAt = &out.checked
		}
		return r
	}
	old := func(version byte, transport, name string, s specPlain) resealVector {
		return reseal(version, transport, name, rotated, s)
	}
	issuedAhead := base
	issuedAhead.issued, issuedAhead.renewed = now+30, now+30
	checkedAhead := revalidatedPlain()
	checkedAhead.checked, checkedAhead.renewed = now+30, now+30
	renewedAhead := base
	renewedAhead.renewed = now + 30
	// An opener that parsed and re-serialised these values as JavaScript's
	// JSON does would write 9007199254740992, 0.1, "café 🍪" and
	// {"n":1,"e":100}.
	numbers := base
	numbers.flags = 0
	numbers.entries = records("big", `9007199254740993`, "escaped", `"caf\u00e9 \ud83c\udf6a"`,
		"exact", `0.1000000000000000055511151231257827021181583404541015625`, "spaced", `{"n": 1.0, "e": 1E2}`)
	numbers.flashes = records("info", `"caf\u00e9"`)
	return []resealVector{
		reseal(1, "cookie", "version 1 cookie under the primary key", [][]byte{k1}, base),
		old(2, "cookie", "version 2 cookie under an old key", base),
		old(1, "cookie", "version 1 cookie under an old key", base),
		old(2, "token", "version 2 token under an old key", base),
		old(2, "cookie", "version 2 cookie under an old key, revalidated: revalidated_at kept", revalidatedPlain()),
		old(2, "cookie", "issued 30 seconds ahead of now, within the skew: renewed_at becomes issued_at", issuedAhead),
		old(2, "cookie", "revalidated 30 seconds ahead of now, within the skew: renewed_at becomes revalidated_at", checkedAhead),
		old(2, "cookie", "renewed 30 seconds ahead of now, within the skew: renewed_at becomes now, earlier than it was", renewedAhead),
		old(1, "cookie", "version 1 cookie, not persistent, numbers beyond float64 and escaped strings: values re-sealed byte for byte", numbers),
	}
}

// resealedVector is the valid vector of v's re-sealed value.
func (v resealVector) resealedVector() validVector {
	r, out := v.Resealed, v.validVector
	out.Name += ", re-sealed"
	out.Version, out.SealedWith, out.Nonce = version2, 0, r.Nonce
	out.IssuedAt, out.ExpiresAt, out.RenewedAt, out.RevalidatedAt = r.IssuedAt, r.ExpiresAt, r.RenewedAt, r.RevalidatedAt
	out.Plaintext, out.Value = r.Plaintext, r.Value
	return out
}

// checkResealVector checks that v's value is valid, that the spec's
// re-sealer writes v's re-sealed value for it, which is valid too and
// keeps the times FORMAT.md keeps, and that a Manager writes the same
// plaintext.
func checkResealVector(t *testing.T, v resealVector, skew int64) {
	t.Run("value", func(t *testing.T) { checkValidVector(t, v.validVector, skew) })
	t.Run("resealed", func(t *testing.T) { checkValidVector(t, v.resealedVector(), skew) })
	r := v.Resealed
	if r.IssuedAt != v.IssuedAt || r.ExpiresAt != v.ExpiresAt || !reflect.DeepEqual(r.RevalidatedAt, v.RevalidatedAt) {
		t.Errorf("re-sealed times: got issued_at %d, expires_at %d, revalidated_at %v; want those of the value: %d, %d, %v",
			r.IssuedAt, r.ExpiresAt, r.RevalidatedAt, v.IssuedAt, v.ExpiresAt, v.RevalidatedAt)
	}
	secrets, _ := vectorRing(t, v.Keys)
	in := specInput{secrets: secrets, cookie: v.Cookie, via: transports[v.Transport], value: v.Value, now: v.Now, skew: skew}
	s, value, reason := specReseal(in, decodeHex(t, r.Nonce))
	if reason != "" || value != r.Value || hex.EncodeToString(s.bytes()) != r.Plaintext {
		t.Errorf("spec re-seal: got %v, %q, reason %q; want plaintext %s, value %s", s, value, reason, r.Plaintext, r.Value)
	}
	t.Run("Manager", func(t *testing.T) { checkManagerReseal(t, v, secrets) })
}

// checkManagerReseal serves a request that carries v's value, at v.Now,
// through a Manager's middleware, and checks that the response carries
// v's re-sealed value: the same plaintext under the primary key, sealed
// with a nonce of the Manager's choosing.
func checkManagerReseal(t *testing.T, v resealVector, secrets [][]byte) {
	const tokenHeader = "Session-Token"
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(time.Unix(v.Now, 0).Sub(time.Now()))
		ring, err := NewKeyRing(secrets...)
		if err != nil {
			t.Fatal(err)
		}
		m, err := New(ring, Config{Name: v.Cookie, TokenHeader: tokenHeader})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "https://example.com/", nil)
		if v.Transport == "token" {
			req.Header.Set(tokenHeader, v.Value)
		} else {
			req.AddCookie(&http.Cookie{Name: v.Cookie, Value: v.Value})
		}
		rec := httptest.NewRecorder()
		m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.Get(r).Keys()
		})).ServeHTTP(rec, req)
		got := rec.Header().Get(tokenHeader)
		if v.Transport != "token" {
			cs := rec.Result().Cookies()
			if len(cs) != 1 {
				t.Fatalf("got cookies %v, want one", cs)
			}
			got = cs[0].Value
		}
		raw, err := base64.RawURLEncoding.DecodeString(got)
		if err != nil || len(raw) < headerSize {
			t.Fatalf("got re-sealed value %q, %v; want base64url of a sealed value", got, err)
		}
		aeadKey, keyID := specKeys(secrets[0])
		want := specSealRaw(aeadKey, version2, keyID, raw[1+keyIDSize:headerSize],
			specAD(version2, keyID, transports[v.Transport], v.Cookie), decodeHex(t, v.Resealed.Plaintext))
		if got != want {
			t.Errorf("re-sealed by the Manager:\ngot  %s\nwant %s (the vector's plaintext, with the Manager's nonce)", got, want)
		}
	})
}
