package cookiesession

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestLayout checks layout against the Set-Cookie lines that sealed writes,
// for sessions around every chunk boundary: the count and total size it
// predicts, every chunk within the browser's limit, every chunk but the last
// filled to it, and a count of ceil(size/MaxCookieSize).
func TestLayout(t *testing.T) {
	ring, err := NewKeyRing(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	for _, cfg := range []Config{
		{MaxCookies: 4, MaxSize: 4 * MaxCookieSize},
		{Name: "s", MaxCookies: 12, MaxSize: 12 * MaxCookieSize}, // names s.1 to s.11, of two lengths
		{Name: strings.Repeat("n", 2000), MaxCookies: 3, MaxSize: 3 * MaxCookieSize},
	} {
		m, err := New(ring, cfg)
		if err != nil {
			t.Fatal(err)
		}
		one := PayloadBudget(m.cfg.Name) + fixedPlain // the largest plaintext of one cookie
		var sizes []int
		for c := range m.cfg.MaxCookies {
			edge := one + c*(MaxCookieSize-len(m.cfg.Name)-4)*3/4
			for n := edge - 4; n <= edge+4; n++ {
				sizes = append(sizes, n)
			}
		}
		for _, n := range sizes {
			p := &payload{persistent: true}
			m.start(p, now)
			p.entries = []entry{{key: "k", value: bytes.Repeat([]byte("1"), n-fixedPlain-entryHeader-1)}}
			if p.plainLen() != n {
				t.Fatalf("plainLen: got %d, want %d", p.plainLen(), n)
			}
			cookies, size := m.layout(n)
			if !m.fits(n) {
				if cookies <= m.cfg.MaxCookies {
					t.Errorf("%s, %d bytes: layout gives %d cookies, %d bytes, within the limits, but fits says no", m.cfg.Name[:1], n, cookies, size)
				}
				continue
			}
			first, more, err := m.sealed(p, viaCookie, now)
			if err != nil {
				t.Fatalf("%d bytes: %v", n, err)
			}
			lines := append([]string{first}, more...)
			if len(lines) != cookies {
				t.Errorf("%s, %d bytes: got %d cookies, layout says %d", m.cfg.Name[:1], n, len(lines), cookies)
			}
			if want := (size + MaxCookieSize - 1) / MaxCookieSize; cookies != want {
				t.Errorf("%d bytes: %d cookies of %d bytes, want ceil(size/%d) = %d", n, cookies, size, MaxCookieSize, want)
			}
			total := 0
			var text strings.Builder
			for i, line := range lines {
				pair, _, _ := strings.Cut(line, ";")
				name, value, _ := strings.Cut(pair, "=")
				if name != m.chunkNames[i] {
					t.Errorf("cookie %d: got name %q, want %q", i, name, m.chunkNames[i])
				}
				total += len(name) + len(value)
				last := i == len(lines)-1
				if len(name)+len(value) > MaxCookieSize || (!last && len(name)+len(value) != MaxCookieSize) {
					t.Errorf("%d bytes, cookie %d of %d: %d bytes", n, i+1, len(lines), len(name)+len(value))
				}
				text.WriteString(value)
			}
			if total != size {
				t.Errorf("%d bytes: cookies total %d bytes, layout says %d", n, total, size)
			}
			version := byte(version2)
			if cookies > 1 {
				version = version3
			}
			var got payload
			if _, err := m.codec.open(&got, m.cfg.Name, text.String(), viaCookie, cookies, now); err != nil {
				t.Errorf("%d bytes in %d cookies: %v", n, cookies, err)
			} else if got.version != version {
				t.Errorf("%d bytes in %d cookies: version %d, want %d", n, cookies, got.version, version)
			}
		}
	}
}

// TestChunkIndex checks which chunk cookie names a Manager reads.
func TestChunkIndex(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"1", 1}, {"2", 2}, {"9", 9}, {"10", 10}, {"254", 254},
		{"0", 0}, {"", 0}, {"01", 0}, {"-1", 0}, {"+1", 0}, {"1 ", 0}, {" 1", 0}, {"1x", 0},
		{"255", 0}, {"256", 0}, {"999", 0}, {"1000", 0}, {"18446744073709551617", 0}, {"١", 0},
	} {
		if got := chunkIndex(tc.s, maxChunks); got != tc.want {
			t.Errorf("chunkIndex(%q): got %d, want %d", tc.s, got, tc.want)
		}
	}
	if got := chunkIndex("3", 3); got != 0 {
		t.Errorf("chunkIndex(3) for 3 cookies: got %d, want 0", got)
	}
}
