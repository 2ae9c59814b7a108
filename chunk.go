package cookiesession

import (
	"net/http"
	"strconv"
	"strings"
)

// A session larger than one cookie (Config.MaxCookies above 1) is sealed
// once, in format v3, whose header carries the number of cookies, and the
// sealed value's text is split over the cookie called Config.Name and the
// chunk cookies Name.1, Name.2, and so on: FORMAT.md, "Chunked cookies".
// Every chunk but the last is filled to the browser's limit, so a set has
// one spelling, and a session of Size bytes takes ceil(Size/MaxCookieSize)
// cookies.

const (
	maxChunks      = 255  // the count is one byte
	defaultMaxSize = 6144 // leaves 2 KB of nginx's 8 KB header line to other cookies
)

// chunkSet is a set of chunk indexes, 0 to 255.
type chunkSet [4]uint64

func (c *chunkSet) add(i int)      { c[i/64] |= 1 << (i % 64) }
func (c *chunkSet) has(i int) bool { return c[i/64]&(1<<(i%64)) != 0 }

// chunkNames returns the names of the cookies a session called name may
// take: name itself, then name.1 to name.(n-1).
func chunkNames(name string, n int) []string {
	names := make([]string, n)
	names[0] = name
	for i := 1; i < n; i++ {
		names[i] = name + "." + strconv.Itoa(i)
	}
	return names
}

// layout returns how many cookies a session of n plaintext bytes takes, and
// their size: the length of their names and values together. A session
// that fits in one cookie takes one, in format v2; a larger one, if the
// Manager allows several cookies, is sealed in v3 and its text fills each
// cookie up to MaxCookieSize before the next, past m.cfg.MaxCookies if it
// needs more, so that a refusal reports the size it would have had.
func (m *Manager) layout(n int) (cookies, size int) {
	size = len(m.cfg.Name) + encodedLen(n)
	if size <= MaxCookieSize || len(m.chunkNames) == 1 {
		return 1, size
	}
	text := b64.EncodedLen(sealedMin + 1 + n)
	size = text
	for i := 0; ; i++ {
		var name int
		if i < len(m.chunkNames) {
			name = len(m.chunkNames[i])
		} else { // Name.i past MaxCookies; Config.check keeps Name under half a cookie
			name = len(m.cfg.Name) + 1 + len(strconv.Itoa(i))
		}
		size += name
		if text -= MaxCookieSize - name; text <= 0 {
			return i + 1, size
		}
	}
}

// fits reports whether a session of n plaintext bytes fits in the cookies
// m allows.
func (m *Manager) fits(n int) bool {
	cookies, size := m.layout(n)
	return cookies <= len(m.chunkNames) && size <= m.limit
}

// chunkCount returns the number of chunks that v, the value of the cookie
// called Config.Name, says its session is split over, if it is the first
// chunk of a v3 value (at least 1, so that a count of 0 is refused too);
// otherwise 0.
func chunkCount(v string) int {
	var h [6]byte // version, key ID, count
	if len(v) < 8 {
		return 0
	}
	if n, err := b64.Decode(h[:], []byte(v[:8])); err != nil || n != len(h) || h[0] != version3 {
		return 0
	}
	return max(int(h[5]), 1)
}

// chunks holds the chunk cookies (Name.1 and on) of a request, up to the
// Manager's MaxCookies: the value of each, and which came more than once
// with different values.
type chunks struct {
	values   []string // by index; values[0] is unused
	carried  chunkSet // indexes the request carried
	conflict chunkSet // indexes carried with two different values
}

// readChunks collects the chunk cookies of h for m. It reads each cookie of
// the header once and keeps nothing but the values of indexes m uses, so a
// request with thousands of cookies costs one pass over its header.
func (m *Manager) readChunks(h http.Header) *chunks {
	c := &chunks{values: make([]string, len(m.chunkNames))}
	prefix := m.cfg.Name + "."
	for _, line := range h["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			n, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || !strings.HasPrefix(n, prefix) {
				continue
			}
			i := chunkIndex(n[len(prefix):], len(m.chunkNames))
			if i == 0 {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			switch {
			case !c.carried.has(i):
				c.carried.add(i)
				c.values[i] = v
			case c.values[i] != v:
				c.conflict.add(i)
			}
		}
	}
	return c
}

// chunkIndex parses s as a chunk index below n: decimal digits without a
// leading zero, from 1. It returns 0 for anything else.
func chunkIndex(s string, n int) int {
	if len(s) == 0 || len(s) > 3 || s[0] == '0' {
		return 0
	}
	i := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0
		}
		i = i*10 + int(c-'0')
	}
	if i >= n {
		return 0
	}
	return i
}

// joinChunks returns the text of a v3 value whose first chunk, first, says
// it is split over count cookies, joined with the other chunks from c, after
// FORMAT.md's chunk rules: a count from 2 to len(names), the number of
// cookies the reader takes, every chunk present once, every chunk but the
// last filled to MaxCookieSize, the last not empty and within it. names
// are the chunks' names, from chunkNames.
func joinChunks(names []string, first string, count int, c *chunks) (string, error) {
	if count < 2 || count > len(names) {
		return "", invalid(ReasonChunks)
	}
	total := 0
	for i := range count {
		v := first
		if i > 0 {
			if !c.carried.has(i) || c.conflict.has(i) {
				return "", invalid(ReasonChunks)
			}
			v = c.values[i]
		}
		size := len(names[i]) + len(v)
		last := i == count-1
		if size > MaxCookieSize || (!last && size != MaxCookieSize) || (last && v == "") {
			return "", invalid(ReasonChunks)
		}
		total += len(v)
	}
	var b strings.Builder
	b.Grow(total)
	b.WriteString(first)
	for i := 1; i < count; i++ {
		b.WriteString(c.values[i])
	}
	return b.String(), nil
}

// split appends to lines the Set-Cookie lines of each chunk of text, a v3
// value's text, each followed by attrs.
func (m *Manager) split(lines []string, text []byte, attrs string) []string {
	for _, name := range m.chunkNames {
		n := min(len(text), MaxCookieSize-len(name))
		lines = append(lines, name+"="+string(text[:n])+attrs)
		if text = text[n:]; len(text) == 0 {
			break
		}
	}
	return lines
}
