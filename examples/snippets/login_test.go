package snippets

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// TestLogin checks the README's login: bob, signing in on a browser that
// holds alice's session, gets a new session ID and his own values, none of
// hers.
func TestLogin(t *testing.T) {
	keys := testKeys(t)
	m := useSessions(t, keys)
	const name = "__Host-session"

	res := serve(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Get(r)
		s.Set("user", "alice")
		s.Set("notes", []string{"alice's diary"})
	})), httptest.NewRequest("GET", "https://example.com/", nil))
	alice := sealed(t, keys, res)

	req := httptest.NewRequest("POST", "https://example.com/login", strings.NewReader("user=bob"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", name+"="+alice.value)
	res = serve(m.Handler(http.HandlerFunc(login)), req)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: got %d, want 303", res.StatusCode)
	}
	bob := sealed(t, keys, res)
	if keys := slices.Sorted(maps.Keys(bob.Values)); !slices.Equal(keys, []string{"user"}) || string(bob.Values["user"]) != `"bob"` {
		t.Errorf("after login: got keys %q and user %s, want only user bob", keys, bob.Values["user"])
	}
	if bob.SessionID == alice.SessionID {
		t.Errorf("after login: got alice's session ID, want a new one")
	}
	if len(bob.Flashes) != 1 || string(bob.Flashes[0].Message) != `"Welcome back"` {
		t.Errorf("after login: got flashes %v, want the welcome", bob.Flashes)
	}
}

type session struct {
	*cookiesession.Contents
	value string
}

// sealed opens the session cookie that res sets.
func sealed(tb testing.TB, keys *cookiesession.KeyRing, res *http.Response) session {
	tb.Helper()
	cs := res.Cookies()
	if len(cs) != 1 {
		tb.Fatalf("got Set-Cookie %q, want one", res.Header.Values("Set-Cookie"))
	}
	c, err := keys.Inspect(cs[0].Name, cs[0].Value, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return session{c, cs[0].Value}
}
