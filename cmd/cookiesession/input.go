package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxInput bounds what inspect reads from standard input: a few responses'
// headers, far more than any cookie.
const maxInput = 1 << 20

// Where a value came from.
const (
	fromValue     = "value"      // a bare value
	fromCookie    = "cookie"     // name=value, alone or in a Cookie header
	fromSetCookie = "set-cookie" // a Set-Cookie header
	fromToken     = "token"      // a token header
)

// A found value is one cookie value or token that the input holds.
type found struct {
	from   string // fromValue, fromCookie, fromSetCookie or fromToken
	header string // for fromToken, the header's name
	value  string

	// deletes is set for a Set-Cookie line that deletes the cookie and for
	// an empty token header, which tells the client to discard its token.
	deletes bool
}

// A scanner finds the values of one cookie in inspect's input, and of its
// chunks: the cookies name.1, name.2 and so on that carry the rest of a
// session split over several cookies.
type scanner struct {
	name   string         // the cookie's name
	header string         // the token header's name; "" if not given
	now    time.Time      // for Set-Cookie's Expires
	seen   []string       // names of other cookies met, for the error
	chunks map[int]string // the chunks' values by index, from 1
	twice  []string       // chunks met with two different values
}

// maxChunks is the most cookies a session may be split over.
const maxChunks = 255

// chunk records value if name is a chunk's name, name.1 to name.254, and
// reports whether it is.
func (s *scanner) chunk(name, value string) bool {
	n, ok := strings.CutPrefix(name, s.name+".")
	i, err := strconv.Atoi(n)
	if !ok || err != nil || i < 1 || i >= maxChunks || strconv.Itoa(i) != n {
		return false
	}
	if s.chunks == nil {
		s.chunks = map[int]string{}
	}
	if old, ok := s.chunks[i]; ok && old != value && !slices.Contains(s.twice, name) {
		s.twice = append(s.twice, name)
	}
	if _, ok := s.chunks[i]; !ok {
		s.chunks[i] = value
	}
	return true
}

// withChunks returns v followed by the values of the chunks met, by index,
// "" for any missing below the highest.
func (s *scanner) withChunks(v string) []string {
	values := []string{v}
	for i := range s.chunks {
		for len(values) <= i {
			values = append(values, "")
		}
	}
	for i, c := range s.chunks {
		values[i] = c
	}
	return values
}

// readInput returns the argument, or standard input if there is none or it
// is "-".
func (c *cli) readInput(args []string) (string, error) {
	if len(args) == 1 && args[0] != "-" {
		return args[0], nil
	}
	b, err := io.ReadAll(io.LimitReader(c.stdin, maxInput+1))
	if err != nil {
		return "", fmt.Errorf("reading standard input: %v", err)
	}
	if len(b) > maxInput {
		return "", fmt.Errorf("standard input holds more than %d bytes", maxInput)
	}
	return string(b), nil
}

// scan returns the values in input. One line may be a bare value,
// name=value pairs as in a Cookie header or document.cookie, or a header
// line: Cookie, Set-Cookie, or any other header, taken as a token header.
// Several lines are read as an HTTP message (such as curl -i or curl -v
// prints): only Cookie and Set-Cookie lines and the token header named by
// s.header count.
func (s *scanner) scan(input string) ([]found, error) {
	var lines []string
	for l := range strings.Lines(strings.TrimSpace(input)) {
		if l = trimLine(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil, errors.New("no cookie given")
	}
	var all []found
	for _, l := range lines {
		f, err := s.line(l, len(lines) == 1)
		if err != nil {
			return nil, err
		}
		all = append(all, f...)
	}
	if len(all) == 0 {
		return nil, s.notFound()
	}
	return all, nil
}

// trimLine removes surrounding space, the CR of CRLF, and the "< " or "> "
// that curl -v puts before headers.
func trimLine(l string) string {
	l = strings.TrimSpace(l)
	for _, p := range []string{"< ", "> "} {
		l = strings.TrimPrefix(l, p)
	}
	return strings.TrimSpace(l)
}

func (s *scanner) line(l string, alone bool) ([]found, error) {
	name, rest, isHeader := cutHeader(l)
	switch {
	case isHeader && strings.EqualFold(name, "Cookie"):
		return s.pairs(rest), nil
	case isHeader && strings.EqualFold(name, "Set-Cookie"):
		return s.setCookie(rest)
	case isHeader && (alone || strings.EqualFold(name, s.header)):
		return []found{{from: fromToken, header: name, value: rest, deletes: rest == ""}}, nil
	case isHeader, !alone:
		return nil, nil
	case strings.Contains(strings.TrimRight(l, "="), "="):
		return s.pairs(l), nil
	}
	// A bare value, which may end in base64 padding.
	return []found{{from: fromValue, value: l}}, nil
}

// cutHeader splits "Name: value" into the name and the trimmed value. A
// cookie value has no colon; name=value has an '=', which no header name
// holds.
func cutHeader(l string) (name, value string, ok bool) {
	name, value, ok = strings.Cut(l, ":")
	if !ok || name == "" || strings.IndexFunc(name, notTokenChar) >= 0 {
		return "", "", false
	}
	return name, strings.TrimSpace(value), true
}

// notTokenChar reports whether r may not appear in a header name (RFC 9110
// section 5.6.2).
func notTokenChar(r rune) bool {
	return r >= 0x7f || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
}

// pairs returns the values of the cookie in "a=b; c=d", the syntax of a
// Cookie header. Every cookie of that name is returned; a browser sends
// several when their paths or domains differ.
func (s *scanner) pairs(header string) []found {
	var fs []found
	for p := range strings.SplitSeq(header, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if s.chunk(name, unquote(value)) {
			continue
		}
		if name != s.name {
			s.saw(name)
			continue
		}
		fs = append(fs, found{from: fromCookie, value: unquote(value)})
	}
	return fs
}

// setCookie returns the value in a Set-Cookie header's value, if it is for
// the cookie, noting whether it deletes the cookie.
func (s *scanner) setCookie(header string) ([]found, error) {
	c, err := http.ParseSetCookie(header)
	if err != nil {
		return nil, fmt.Errorf("reading the Set-Cookie line: %v", err)
	}
	deletes := c.MaxAge < 0 || (c.MaxAge == 0 && !c.Expires.IsZero() && !c.Expires.After(s.now))
	if !deletes && s.chunk(c.Name, c.Value) {
		return nil, nil
	}
	if c.Name != s.name {
		s.saw(c.Name)
		return nil, nil
	}
	return []found{{from: fromSetCookie, value: c.Value, deletes: deletes}}, nil
}

// unquote removes the double quotes RFC 6265 allows around a cookie value.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

func (s *scanner) saw(name string) {
	if name != "" && !slices.Contains(s.seen, name) {
		s.seen = append(s.seen, name)
	}
}

func (s *scanner) notFound() error {
	msg := fmt.Sprintf("no cookie named %s in the input", s.name)
	if len(s.seen) > 0 {
		msg += fmt.Sprintf(", which has %s; choose one with -name", strings.Join(s.seen, ", "))
	}
	if s.header != "" {
		msg += fmt.Sprintf(", and no %s header", s.header)
	}
	return errors.New(msg)
}
