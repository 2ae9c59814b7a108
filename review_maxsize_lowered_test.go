package cookiesession_test

import (
	"net/http"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// TestMaxSizeLowered checks a session written before MaxSize was lowered,
// larger than the new MaxSize: the Manager opens it, so the response that
// must re-issue it (Touch here; a renewal under IdleTimeout or a re-seal
// after key rotation alike) re-issues it, at the size the browser already
// holds and sends. Refusing that write, silently, leaves the cookies to
// expire at the idle timeout while the user is active.
func TestMaxSizeLowered(t *testing.T) {
	ring := freshRing(t)
	before := mustNew(t, ring, cookiesession.Config{MaxCookies: 3, MaxSize: 3 * cookiesession.MaxCookieSize})
	after := mustNew(t, ring, cookiesession.Config{MaxCookies: 3}) // MaxSize 6144
	b := newBrowser()
	b.get(t, blobApp(before), "/?n=8000")
	if len(b.jar) != 3 {
		t.Fatalf("a session of 8000 bytes: %d cookies, want 3", len(b.jar))
	}
	touch := wrap(after, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		var blob string
		if ok, err := s.Get("blob", &blob); !ok || err != nil || len(blob) != 8000 {
			t.Errorf("after MaxSize was lowered: Get got %d bytes, %v, %v; want the blob of 8000", len(blob), ok, err)
		}
		s.Touch()
	})
	resp := b.get(t, touch, "/")
	if got := len(setCookies(t, resp)); got != 3 {
		t.Errorf("Touch on a session over the new MaxSize: %d Set-Cookie lines, want its 3 cookies re-issued", got)
	}
}
