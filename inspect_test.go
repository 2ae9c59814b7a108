package cookiesession

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// sealV1 seals p as a version 1 cookie under secret, as a version 1
// sealer did.
func sealV1(secret []byte, name string, p *payload) string {
	return specSeal(secret, testNonce("v1 "+name), name, appendPlain(nil, p))
}

func TestInspectTimes(t *testing.T) {
	ring := testRing(t, 1, 2)
	c := NewCodec(ring, 0)
	p := samplePayload(vectorT0)
	v, err := c.sealVia(sampleName, viaHeader, p, ring.keys[1], testNonce("inspect"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		now    int64
		reason Reason
	}{
		{"valid", vectorT0 + 60, ""},
		{"expired", p.expiresAt, ReasonExpired},
		{"issued in the future", vectorT0 - 61, ReasonFuture},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ring.Inspect(sampleName, v, time.Unix(tc.now, 0))
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Inspect: got %v, want nil", err)
				}
			} else {
				wantInvalid(t, err, tc.reason)
			}
			// An authentic value's contents come back, whatever its times.
			if got == nil || got.Version != 2 || got.Transport != "token" || got.Primary || got.KeyID != ring.keys[1].idString() ||
				!got.ExpiresAt.Equal(time.Unix(p.expiresAt, 0)) || len(got.Values) != len(p.entries) || len(got.Flashes) != len(p.flashes) {
				t.Errorf("Inspect: got %+v, want the sealed contents", got)
			}
		})
	}
	for i, st := range ring.Stats() {
		if st.Opens != 0 {
			t.Errorf("Stats()[%d].Opens after Inspect: got %d, want 0", i, st.Opens)
		}
	}
}

func TestInspectUnknownKey(t *testing.T) {
	v := sealSample(t, NewCodec(testRing(t, 3), 0), vectorT0, "unknown")
	got, err := testRing(t, 1).Inspect(sampleName, v, time.Unix(vectorT0, 0))
	var ie *InvalidError
	if got != nil || !errors.As(err, &ie) || ie.Reason != ReasonUnknownKey || ie.KeyID != testRing(t, 3).PrimaryID() {
		t.Errorf("Inspect: got %v, %v; want ReasonUnknownKey naming key %s", got, err, testRing(t, 3).PrimaryID())
	}
}

// TestUpgradeV1 checks that a version 1 cookie still opens, and is re-sealed
// in version 2 with its times on the response to the first request that
// uses it; and that version 1 is not accepted as a token.
func TestUpgradeV1(t *testing.T) {
	ring := testRing(t, 1)
	var invalid []error
	m, err := New(ring, Config{TokenHeader: "Session-Token", OnInvalid: func(_ *http.Request, err error) { invalid = append(invalid, err) }})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	p := samplePayload(now - 3600)
	v1 := sealV1(testSecret(1), m.cfg.Name, p)
	var user int
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.Get(r).Get("user_id", &user)
	}))

	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", m.cfg.Name+"="+v1)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	cs := rec.Result().Cookies()
	if user != 42 || len(cs) != 1 || len(invalid) != 0 {
		t.Fatalf("v1 cookie: got user %d, cookies %v, OnInvalid %v; want 42, one re-sealed cookie, no call", user, cs, invalid)
	}
	got, err := ring.Inspect(m.cfg.Name, cs[0].Value, time.Now())
	if err != nil || got.Version != 2 || got.Transport != "cookie" ||
		got.IssuedAt.Unix() != p.issuedAt || got.ExpiresAt.Unix() != p.expiresAt || len(got.Values) != len(p.entries) {
		t.Errorf("re-sealed: got %+v, %v; want version 2 with the same times and values", got, err)
	}
	if st := m.Stats(); st.Upgraded != 1 || st.Resealed != 0 || st.Issued != 0 {
		t.Errorf("Stats: got upgraded %d, resealed %d, issued %d; want 1, 0, 0", st.Upgraded, st.Resealed, st.Issued)
	}

	req = httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Session-Token", v1)
	user = 0
	h.ServeHTTP(httptest.NewRecorder(), req)
	if user != 0 || len(invalid) != 1 {
		t.Fatalf("v1 as a token: got user %d, OnInvalid %v; want a new session and one call", user, invalid)
	}
	wantInvalid(t, invalid[0], ReasonVersion)
}
