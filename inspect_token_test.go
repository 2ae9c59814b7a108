package cookiesession_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// TestInspectLongToken checks that KeyRing.Inspect opens every token a
// Manager hands out: with MaxCookies above one, a token may be longer
// than one cookie's limit, and Inspect applies the rules of FORMAT.md,
// which let a token be as long as the cookies a session may take.
func TestInspectLongToken(t *testing.T) {
	ring := freshRing(t)
	m := mustNew(t, ring, cookiesession.Config{MaxCookies: 3, TokenHeader: tokenHeader})
	req := httptest.NewRequest("GET", "https://example.com/?n=4000", nil)
	req.Header.Set(tokenHeader, "")
	token, ok := tokenOf(t, record(blobApp(m), req))
	if !ok || len(token) <= cookiesession.MaxCookieSize {
		t.Fatalf("token of %d bytes (%v), want one longer than a cookie", len(token), ok)
	}
	c, err := ring.Inspect("__Host-session", token, time.Now())
	if err != nil {
		t.Fatalf("Inspect: got %v, want the token opened", err)
	}
	if c.Transport != "token" || c.Cookies != 1 || len(c.Values["blob"]) != 4002 {
		t.Errorf("Inspect: got transport %q, %d cookies, a blob of %d bytes; want token, 1, 4002", c.Transport, c.Cookies, len(c.Values["blob"]))
	}
}
