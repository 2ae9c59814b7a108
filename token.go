package cookiesession

import (
	"fmt"
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

// ReasonSeveralTokens is the reason a token request is refused when it
// carries two distinct tokens: ambiguous credentials, of which none is used.
const ReasonSeveralTokens Reason = "several tokens"

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

// requestToken returns the token that h carries in the header name, or ""
// if it carries none. The header is a list (RFC 9110 section 5.6.1): its
// lines and their comma-separated elements, each without the spaces and
// tabs around it, are the values sent, and empty ones send nothing. A
// comma is never part of a token, so a comma-joined line is several
// values. The same value sent again is one token; two distinct values are
// ambiguous credentials, refused with ReasonSeveralTokens whatever they
// hold, so that which one a request uses never depends on their order or
// on what else an attacker can add to it.
func requestToken(h http.Header, name string) (string, error) {
	token := ""
	for _, line := range h[name] {
		for v := range strings.SplitSeq(line, ",") {
			switch v = strings.Trim(v, " \t"); {
			case v == "" || v == token:
			case token == "":
				token = v
			default:
				return "", invalid(ReasonSeveralTokens)
			}
		}
	}
	return token, nil
}
