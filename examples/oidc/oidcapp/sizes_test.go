package oidcapp_test

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/oidc/oidcapp"
	"github.com/cookiesession/cookiesession/examples/oidc/provider"
)

var (
	sizeRe    = regexp.MustCompile(`<span id="size">(\d+)</span>`)
	cookiesRe = regexp.MustCompile(`<span id="cookies">(\d+)</span>`)
	limitRe   = regexp.MustCompile(`<span id="limit">(\d+)</span>`)
	largestRe = regexp.MustCompile(`<span id="largest">([^<]*)</span>`)
)

// behindNginx is the MaxSize the README says to use behind nginx:
// cookiesession's default.
const behindNginx = 6144

// number returns the number re finds in p, or -1.
func number(re *regexp.Regexp, p page) int {
	if m := re.FindStringSubmatch(p.body); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return -1
}

// TestSessionSizes measures the tokens the provider issues and the session
// that keeps them, for Alice (2 groups) and Bob (150 groups). Alice's
// session takes one cookie, Bob's two: the first full, both within the
// browser's limit, together what the page shows. With a MaxSize one byte
// under Bob's session, he is told why and is not signed in at all.
func TestSessionSizes(t *testing.T) {
	t.Parallel()
	e := start(t, slow)
	alice := e.signedIn(t, provider.Alice, 1)
	if alice.size > cookiesession.MaxCookieSize {
		t.Errorf("Alice's session is %d bytes, over one cookie", alice.size)
	}
	t.Logf("Alice: ID token %d bytes, access token %d, refresh token %d; session %d bytes in 1 cookie (%d with the raw ID token kept, by the size arithmetic)",
		len(alice.tokens.IDToken), len(alice.tokens.AccessToken), len(alice.tokens.RefreshToken), alice.size, alice.withIDToken())

	bob := e.signedIn(t, provider.Bob, 2)
	if bob.size <= cookiesession.MaxCookieSize || bob.size > behindNginx {
		t.Errorf("Bob's session is %d bytes, want over one cookie (%d) and within the MaxSize to use behind nginx (%d)", bob.size, cookiesession.MaxCookieSize, behindNginx)
	}
	t.Logf("Bob: ID token %d bytes, access token %d, refresh token %d; session %d bytes in 2 cookies of %v bytes (%d with the raw ID token kept); entries: %s",
		len(bob.tokens.IDToken), len(bob.tokens.AccessToken), len(bob.tokens.RefreshToken), bob.size, bob.cookies, bob.withIDToken(), bob.entries)
	if bob.withIDToken() <= oidcapp.DefaultMaxSize {
		t.Errorf("Bob's session with his ID token would be %d bytes, within DefaultMaxSize: the README says it does not fit", bob.withIDToken())
	}

	t.Run("MaxSize one byte under Bob's session", func(t *testing.T) {
		e := start(t, slow, func(c *oidcapp.Config) { c.MaxSize = bob.size - 1 })
		v := e.visitor()
		_, p := v.signIn(provider.Bob)
		if p.status != http.StatusRequestEntityTooLarge || errorTitle(p) != "Session too large" {
			t.Fatalf("Bob: got %d %q, want 413 Session too large", p.status, errorTitle(p))
		}
		if size, limit := number(sizeRe, p), number(limitRe, p); size != bob.size || limit != bob.size-1 {
			t.Errorf("the page says %d bytes over a limit of %d, want %d over %d", size, limit, bob.size, bob.size-1)
		}
		largest := largestRe.FindStringSubmatch(p.body)
		if largest == nil || !regexp.MustCompile(`^groups \(\d+ bytes\)`).MatchString(largest[1]) {
			t.Errorf("largest parts: got %q, want groups first", largest)
		}
		if cs := v.cookies(); len(cs) != 0 {
			t.Errorf("Bob holds %d session cookies after a sign-in that did not fit; want none", len(cs))
		}
		if err := refreshAtProvider(t, e, e.tokens.last(t).RefreshToken); !refusedGrant(err) {
			t.Errorf("Bob's dropped refresh token at the provider: got %v, want invalid_grant (revoked)", err)
		}
	})
}

// measured is a user's sign-in: the tokens the provider issued, and the
// session's cookies in the jar.
type measured struct {
	tokens  tokenResponse
	size    int    // the session's cookies' names and values
	cookies []int  // each cookie's name and value
	entries string // each entry's key and JSON length
}

// withIDToken is the size the session would have with the raw ID token
// kept too, under "id_token": its entry's header (3 bytes), key and JSON
// string, sealed in base64 (4 bytes for 3).
func (m measured) withIDToken() int {
	return m.size + (4*(3+len("id_token")+len(m.tokens.IDToken)+2)+2)/3
}

// signedIn signs u in with a visitor of its own, and checks that the
// session takes n cookies, every one but the last full, each within the
// browser's limit, together the size the home page shows.
func (e *env) signedIn(t *testing.T, u provider.User, n int) measured {
	t.Helper()
	v := e.visitor()
	_, home := v.signIn(u)
	if who(home) != u.Given+" "+u.Family {
		t.Fatalf("%s: got %d %q, want signed in", u.Username, home.status, errorTitle(home))
	}
	m := measured{tokens: e.tokens.last(t)}
	cs := v.cookies()
	for i, c := range cs {
		size := len(c.Name) + len(c.Value)
		if c.Name != chunkName(i) || size > cookiesession.MaxCookieSize || i < len(cs)-1 && size != cookiesession.MaxCookieSize {
			t.Errorf("%s's cookie %d: %s of %d bytes; want %s, full unless the last", u.Username, i, c.Name, size, chunkName(i))
		}
		m.size += size
		m.cookies = append(m.cookies, size)
	}
	if len(cs) != n {
		t.Errorf("%s's session takes %d cookies, want %d", u.Username, len(cs), n)
	}
	if shown, cookies := number(sizeRe, home), number(cookiesRe, home); shown != m.size || cookies != len(cs) {
		t.Errorf("%s: the page shows %d bytes in %d cookies, the jar holds %d in %d", u.Username, shown, cookies, m.size, len(cs))
	}
	s := v.session()
	if s.Cookies != len(cs) {
		t.Errorf("%s: the session says it takes %d cookies, the jar holds %d", u.Username, s.Cookies, len(cs))
	}
	for _, k := range []string{"groups", "tokens", "user"} {
		m.entries += k + " " + strconv.Itoa(len(s.Values[k])) + " "
	}
	return m
}
