package cookiesession

import (
	"errors"
	"fmt"
	"strings"
)

// MaxCookieSize is the most a browser stores of one cookie: the length of
// its name plus the length of its value (RFC 6265bis section 5.6; Chromium
// and Firefox alike). Attributes do not count. A browser silently drops a
// larger cookie and keeps the one it had, so this package refuses to make
// one.
const MaxCookieSize = 4096

// ErrTooLarge is matched by errors for writes that would make a cookie
// larger than [MaxCookieSize], or a session larger than its Manager allows
// ([Config.MaxCookies], [Config.MaxSize]). The session or value is left as
// it was.
var ErrTooLarge = errors.New("cookiesession: cookie too large")

// SizeError reports a session, cookie or token that would exceed its
// limit. It matches [ErrTooLarge].
type SizeError struct {
	Name    string   // the cookie name
	Size    int      // the bytes it would have taken: each cookie's name and value, or Name and the token
	Limit   int      // the most allowed: MaxCookieSize for one cookie; for a Manager, Config.MaxSize or MaxCookies × MaxCookieSize, whichever is less
	Largest []string // the session's largest entries by encoded size, largest first, when known
}

func (e *SizeError) Error() string {
	msg := fmt.Sprintf("cookiesession: session in cookie %q would be %d bytes, over its limit of %d", e.Name, e.Size, e.Limit)
	if len(e.Largest) > 0 {
		msg += "; largest entries: " + strings.Join(e.Largest, ", ")
	}
	return msg
}

// Is reports whether target is ErrTooLarge.
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }

// encodedLen is the length of the cookie value that seals n plaintext bytes:
// unpadded base64 of the header, the ciphertext and the tag.
func encodedLen(n int) int {
	return b64.EncodedLen(sealedMin + n)
}

// PayloadBudget returns how many bytes of session entries and flashes fit
// in a cookie called name, counting each entry as its key, its JSON value
// and 3 bytes of framing. It is negative if the name alone leaves no room.
// A session that records a check by Config.Revalidate has 8 bytes less;
// one within 8 bytes of the budget cannot record it, and so is checked on
// every request. See FORMAT.md for the arithmetic.
func PayloadBudget(name string) int {
	// Largest n with len(name) + ceil(4*(sealedMin+fixedPlain+n)/3) <= MaxCookieSize.
	raw := (MaxCookieSize - len(name)) * 3 / 4
	return raw - sealedMin - fixedPlain
}
