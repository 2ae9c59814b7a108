package cookiesession

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
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

// resealedValue is the re-sealed value: under the primary key, for the
// vector's cookie and transport, in version 2, or in version 3 split over
// Cookies as the vector's value is, with every field of the session the
// same but those given here.
type resealedValue struct {
	Nonce         string       `json:"nonce"`
	IssuedAt      int64        `json:"issued_at"`
	ExpiresAt     int64        `json:"expires_at"`
	RenewedAt     int64        `json:"renewed_at"`
	RevalidatedAt *int64       `json:"revalidated_at,omitempty"`
	Plaintext     string       `json:"plaintext"`
	Value         string       `json:"value"`
	Cookies       []cookiePair `json:"cookies,omitempty"`
}

// resealOf is v and what the spec's opener writes for it on its response.
func resealOf(v validVector, keys [][]byte) resealVector {
	nonce := testNonce(v.Name + ", re-sealed")
	out, value, reason := specReseal(v.specInput(keys, int64(defaultSkew/time.Second)), nonce)
	if reason != "" {
		panic("re-seal vector " + v.Name + " does not open: " + string(reason))
	}
	r := resealVector{validVector: v, Resealed: resealedValue{
		Nonce: hex.EncodeToString(nonce), IssuedAt: out.issued, ExpiresAt: out.expires, RenewedAt: out.renewed,
		Plaintext: hex.EncodeToString(out.bytes()), Value: value,
	}}
	if out.flags&flagChecked != 0 {
		r.Resealed.RevalidatedAt = &out.checked
	}
	if v.Cookies != nil {
		r.Resealed.Cookies = specSplit(v.Cookie, value)
	}
	return r
}

// reseal makes the re-seal vectors: values in version 1 or under an old
// key, opened at b.now, and what the response re-seals them to.
func (b *vectorBuilder) reseal() []resealVector {
	k1, k2, now, base := b.k1, b.k2, b.now, b.base
	rotated := [][]byte{k2, k1}
	reseal := func(version byte, transport, name string, keys [][]byte, s specPlain) resealVector {
		return resealOf(validVia(version, transport, name, keys, len(keys)-1, b.cookie, s, now), keys)
	}
	old := func(version byte, transport, name string, s specPlain) resealVector {
		return reseal(version, transport, name, rotated, s)
	}
	// oldChunked is s sealed under the old key over cookies cookies, for an
	// opener that reads up to max.
	oldChunked := func(name string, s specPlain, max, cookies int) resealVector {
		return resealOf(validCookies(name, rotated, 1, b.cookie, s, now, max, cookies), rotated)
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
		oldChunked("version 3 cookie under an old key, over two cookies", padded(base, twoCookies), 2, 2),
		oldChunked("version 3 cookie under an old key, revalidated, over two cookies: revalidated_at kept", padded(revalidatedPlain(), twoCookies), 2, 2),
		oldChunked("version 3 cookie renewed 30 seconds ahead of now, over two cookies: renewed_at becomes now", padded(renewedAhead, twoCookies), 3, 2),
	}
}

// resealedVector is the valid vector of v's re-sealed value.
func (v resealVector) resealedVector() validVector {
	r, out := v.Resealed, v.validVector
	out.Name += ", re-sealed"
	out.Version, out.SealedWith, out.Nonce = version2, 0, r.Nonce
	if len(r.Cookies) > 1 {
		out.Version = version3
	}
	out.IssuedAt, out.ExpiresAt, out.RenewedAt, out.RevalidatedAt = r.IssuedAt, r.ExpiresAt, r.RenewedAt, r.RevalidatedAt
	out.Plaintext, out.Value, out.Cookies = r.Plaintext, r.Value, r.Cookies
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
	s, value, reason := specReseal(v.specInput(secrets, skew), decodeHex(t, r.Nonce))
	if reason != "" || value != r.Value || hex.EncodeToString(s.bytes()) != r.Plaintext {
		t.Errorf("spec re-seal: got %v, %q, reason %q; want plaintext %s, value %s", s, value, reason, r.Plaintext, r.Value)
	}
	t.Run("Manager", func(t *testing.T) { checkManagerReseal(t, v, secrets) })
}

// checkManagerReseal serves a request that carries v's value, or its
// cookies, at v.Now, through a Manager's middleware, and checks that the
// response carries v's re-sealed value: the same plaintext under the
// primary key, split over the same cookies, sealed with a nonce of the
// Manager's choosing.
func checkManagerReseal(t *testing.T, v resealVector, secrets [][]byte) {
	const tokenHeader = "Session-Token"
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(time.Unix(v.Now, 0).Sub(time.Now()))
		m := vectorManager(t, secrets, Config{Name: v.Cookie, TokenHeader: tokenHeader, MaxCookies: v.MaxCookies})
		cookies, wantCookies := v.Cookies, v.Resealed.Cookies
		if cookies == nil {
			cookies, wantCookies = []cookiePair{{v.Cookie, v.Value}}, []cookiePair{{v.Cookie, v.Resealed.Value}}
		}
		req := cookieRequest(cookies)
		if v.Transport == "token" {
			req = httptest.NewRequest("GET", "https://example.com/", nil)
			req.Header.Set(tokenHeader, v.Value)
		}
		rec := httptest.NewRecorder()
		m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.Get(r).Keys()
		})).ServeHTTP(rec, req)
		got := rec.Header().Get(tokenHeader)
		if v.Transport != "token" {
			var set []cookiePair
			for _, c := range rec.Result().Cookies() {
				set = append(set, cookiePair{c.Name, c.Value})
			}
			if !slices.Equal(cookieNames(set), cookieNames(wantCookies)) {
				t.Fatalf("got cookies %q, want %q", cookieNames(set), cookieNames(wantCookies))
			}
			got = specJoinValues(set)
		}
		raw, err := base64.RawURLEncoding.DecodeString(got)
		if err != nil || len(raw) < headerSize+1 {
			t.Fatalf("got re-sealed value %q, %v; want base64url of a sealed value", got, err)
		}
		aeadKey, keyID := specKeys(secrets[0])
		plain := decodeHex(t, v.Resealed.Plaintext)
		want := specSealRaw(aeadKey, version2, keyID, raw[1+keyIDSize:headerSize], specAD(version2, keyID, transports[v.Transport], v.Cookie), plain)
		if count := byte(len(wantCookies)); count > 1 {
			header := append(append([]byte{version3}, keyID...), count)
			want = specSealHeader(aeadKey, header, raw[len(header):len(header)+nonceSize], specAD3(keyID, count, 0, v.Cookie), plain)
		}
		if got != want {
			t.Errorf("re-sealed by the Manager:\ngot  %s\nwant %s (the vector's plaintext, with the Manager's nonce)", got, want)
		}
	})
}
