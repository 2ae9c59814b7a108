package cookiesession_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// TestMaxSizeLowered checks a session written before MaxSize was lowered,
// larger than the new MaxSize. The Manager could not write it again (to
// renew it under IdleTimeout, re-seal it after a key rotation, record a
// Revalidate check), so it does not open it: a new session, and OnInvalid
// with ReasonTooLong. A session within the new MaxSize opens as before.
func TestMaxSizeLowered(t *testing.T) {
	ring := freshRing(t)
	hook := &hookLog{}
	before := blobApp(mustNew(t, ring, cookiesession.Config{MaxCookies: 3, MaxSize: 3 * cookiesession.MaxCookieSize}))
	after := blobApp(mustNew(t, ring, cookiesession.Config{MaxCookies: 3, OnInvalid: hook.record})) // MaxSize 6144

	small := newBrowser()
	small.get(t, before, "/?n=4000")
	if body := readBody(t, small.get(t, after, "/")); !strings.HasPrefix(body, "4000 ") {
		t.Errorf("a session within the new MaxSize: read %q, want the blob of 4000 bytes", body)
	}

	big := newBrowser()
	big.get(t, before, "/?n=8000")
	if len(big.jar) != 3 {
		t.Fatalf("a session of 8000 bytes: %d cookies, want 3", len(big.jar))
	}
	if body := readBody(t, big.get(t, after, "/")); !strings.HasPrefix(body, "0 ") {
		t.Errorf("a session over the new MaxSize: read %q, want a new, empty session", body)
	}
	calls := hook.calls()
	var ie *cookiesession.InvalidError
	if len(calls) != 1 || !errors.As(calls[0], &ie) || ie.Reason != cookiesession.ReasonTooLong {
		t.Errorf("OnInvalid: got %v, want one error with ReasonTooLong", calls)
	}
}
