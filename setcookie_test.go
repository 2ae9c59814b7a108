package cookiesession

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSetCookieMatchesNetHTTP checks the hand-built Set-Cookie line against
// http.Cookie.String for every attribute the configuration can set.
func TestSetCookieMatchesNetHTTP(t *testing.T) {
	ring, err := NewKeyRing(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	for _, cfg := range []Config{
		{},
		{Name: "app", Path: "/app", Domain: ".example.com", SameSite: http.SameSiteStrictMode},
		{Name: "__Secure-embed", SameSite: http.SameSiteNoneMode, Partitioned: true},
		{Name: "dev", InsecureNoSecure: true},
	} {
		m, err := New(ring, cfg)
		if err != nil {
			t.Fatal(err)
		}
		p := &payload{}
		m.start(p, now)
		for _, tc := range []struct {
			name       string
			p          *payload
			persistent bool
			want       http.Cookie
		}{
			{"persistent", p, true, http.Cookie{MaxAge: 86400, Expires: now.Add(24 * time.Hour)}},
			{"browser session", p, false, http.Cookie{}},
			{"delete", nil, false, http.Cookie{MaxAge: -1, Expires: time.Unix(1, 0)}},
		} {
			t.Run(m.cfg.Name+"/"+tc.name, func(t *testing.T) {
				if tc.p != nil {
					tc.p.persistent = tc.persistent
				}
				got, more, err := m.sealed(tc.p, viaCookie, now)
				if err != nil || len(more) > 0 {
					t.Fatal(err)
				}
				// The value is sealed with a random nonce: take it from the
				// line, and check that it opens (or is empty, to delete).
				value, _, _ := strings.Cut(strings.TrimPrefix(got, m.cfg.Name+"="), ";")
				if tc.p == nil && value != "" {
					t.Errorf("deleting line carries value %q", value)
				}
				if tc.p != nil {
					if _, _, err := m.codec.openNew(m.cfg.Name, value, now); err != nil {
						t.Errorf("value in %s does not open: %v", got, err)
					}
				}
				want := tc.want
				want.Name, want.Value, want.Path, want.Domain = m.cfg.Name, value, m.cfg.Path, m.cfg.Domain
				want.HttpOnly, want.Secure, want.SameSite, want.Partitioned = true, !cfg.InsecureNoSecure, m.cfg.SameSite, cfg.Partitioned
				if want := want.String(); got != want {
					t.Errorf("got  %s\nwant %s", got, want)
				}
			})
		}
	}
}
