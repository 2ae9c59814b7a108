package cookiesession

import (
	"fmt"
	"iter"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
)

// Sessions for clients that keep no cookies (mobile apps, command-line
// tools, other services) travel as a token in a header named by
// Config.TokenHeader, both ways. The token is the same sealed value as a
// cookie, except that format v2 binds the transport into the seal, so a
// token does not open as a cookie, nor a cookie as a token.

// reservedHeaders are header fields that HTTP, or this package, already
// gives a meaning; a token in one of them would break it or be broken.
// The CORS-safelisted request headers are among them: a page of any
// origin may send those without a preflight.
var reservedHeaders = []string{
	"Accept", "Accept-Language", "Authorization", "Cache-Control", "Connection",
	"Content-Encoding", "Content-Language", "Content-Length", "Content-Type", "Cookie",
	"Date", "Expect", "Forwarded", "Host", "Keep-Alive", "Location", "Origin", "Range",
	"Referer", "Set-Cookie", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Vary", "Via",
	"Www-Authenticate",
}

// checkTokenHeader reports whether name can carry tokens.
func checkTokenHeader(name string) error {
	if name == "" {
		return nil
	}
	if !isToken(name) {
		return fmt.Errorf("cookiesession: TokenHeader %q is not a valid header field name", name)
	}
	if strings.Contains(name, "_") {
		return fmt.Errorf("cookiesession: TokenHeader %q has an underscore, which nginx and other proxies drop by default; use a hyphen", name)
	}
	canonical := textproto.CanonicalMIMEHeaderKey(name)
	if slices.Contains(reservedHeaders, canonical) || strings.HasPrefix(canonical, "Sec-") ||
		strings.HasPrefix(canonical, "Proxy-") || strings.HasPrefix(canonical, "Access-Control-") {
		return fmt.Errorf("cookiesession: TokenHeader %q is a header HTTP already uses; choose a name of your own, such as Session-Token", name)
	}
	return nil
}

// isToken reports whether s is a token of RFC 9110 section 5.6.2, as a
// header field name must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// transportOf returns how r's session travels: as a token if m reads
// tokens and r carries the token header, even empty (a client asking for
// its first token); otherwise as a cookie.
func (m *Manager) transportOf(r *http.Request) transport {
	if m.cfg.TokenHeader == "" {
		return viaCookie
	}
	if _, ok := r.Header[m.cfg.TokenHeader]; ok {
		return viaHeader
	}
	return viaCookie
}

// tokenValues yields the non-empty values of the token header, each
// without the spaces and tabs around it (HTTP's optional whitespace; any
// other byte makes the token malformed).
func tokenValues(h http.Header, name string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, v := range h[name] {
			if v = strings.Trim(v, " \t"); v != "" && !yield(v) {
				return
			}
		}
	}
}
