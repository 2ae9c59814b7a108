package oidcapp_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/oidc/oidcapp"
	"github.com/cookiesession/cookiesession/examples/oidc/provider"
)

// TestEntraGroupSizes checks the README's sizes for group IDs as Entra ID
// sends them, GUIDs of 39 bytes each in JSON: Bob's session, from a real
// sign-in, with his 150 group names replaced by 150 GUIDs takes 8,673
// bytes in three cookies, and with 200 GUIDs 11,273 bytes, as Session.Size
// computes them; both fit in DefaultMaxSize, neither in the 6,144 to use
// behind nginx.
func TestEntraGroupSizes(t *testing.T) {
	t.Parallel()
	e := start(t, slow)
	v := e.visitor()
	v.signIn(provider.Bob)
	bob := v.session()
	m, err := cookiesession.New(e.keys, cookiesession.Config{Name: oidcapp.CookieName, MaxCookies: 3, MaxSize: oidcapp.DefaultMaxSize})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ groups, size int }{{150, 8673}, {200, 11273}} {
		s := m.Load(httptest.NewRequest("GET", "/", nil))
		for k, v := range bob.Values {
			if k != "groups" {
				if err := s.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
		}
		guids := make([]string, tc.groups)
		for i := range guids {
			guids[i] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		}
		if err := s.Set("groups", guids); err != nil {
			t.Fatalf("%d GUIDs: %v", tc.groups, err)
		}
		size := s.Size()
		cookies := (size + cookiesession.MaxCookieSize - 1) / cookiesession.MaxCookieSize
		t.Logf("Bob with %d GUIDs: a session of %d bytes in %d cookies", tc.groups, size, cookies)
		if size != tc.size || cookies != 3 || size <= behindNginx {
			t.Errorf("%d GUIDs: %d bytes in %d cookies, want %d in 3, over %d", tc.groups, size, cookies, tc.size, behindNginx)
		}
	}
}
