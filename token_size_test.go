package cookiesession_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// TestTokenHeldToCookieSize checks what Config.MaxSize says of a token: a
// session is held to the size of the cookies it would take, whether it
// travels in them or as a token, so a write is refused for a token
// exactly when it would be for cookies. The token itself is a little
// shorter than those cookies: it has no chunk names and no count.
func TestTokenHeldToCookieSize(t *testing.T) {
	m := mustNew(t, freshRing(t), cookiesession.Config{MaxCookies: 3, TokenHeader: tokenHeader})
	h := blobApp(m)
	accepts := func(n int, token bool) bool {
		req := httptest.NewRequest("GET", fmt.Sprintf("https://example.com/?n=%d", n), nil)
		if token {
			req.Header.Set(tokenHeader, "")
		}
		return record(h, req).StatusCode == 200
	}
	largest := 0
	for n := 4000; n < 5000; n++ {
		c, tok := accepts(n, false), accepts(n, true)
		if c != tok {
			t.Fatalf("a blob of %d bytes: accepted in cookies %v, as a token %v; want the same", n, c, tok)
		}
		if c {
			largest = n
		}
	}
	if largest == 0 || largest == 4999 {
		t.Fatalf("largest blob accepted: %d, want one between 4000 and 4999", largest)
	}
	b := newBrowser()
	resp := b.get(t, h, fmt.Sprintf("/?n=%d", largest))
	var size int
	for _, c := range setCookies(t, resp) {
		size += len(c.Name) + len(c.Value)
	}
	if size > 6144 || size < 6144-2 {
		t.Errorf("the largest session's cookies take %d bytes, want MaxSize 6144 or up to 2 less", size)
	}
}
