package cookiesession_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// chunked is a Manager that splits sessions over up to three full cookies.
func chunked(tb testing.TB, hook *hookLog) *cookiesession.Manager {
	tb.Helper()
	cfg := cookiesession.Config{MaxCookies: 3, MaxSize: 3 * cookiesession.MaxCookieSize}
	if hook != nil {
		cfg.OnInvalid = hook.record
	}
	return mustNew(tb, freshRing(tb), cfg)
}

// blobApp stores a blob of the length in the query's n, deletes the
// session for n=-1, and otherwise reads it back in the body.
func blobApp(m *cookiesession.Manager) http.Handler {
	return wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		var n int
		if _, err := fmt.Sscan(r.URL.Query().Get("n"), &n); err == nil {
			if n < 0 {
				s.Destroy()
				return
			}
			if err := s.Set("blob", strings.Repeat("b", n)); err != nil {
				http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
				return
			}
		}
		var blob string
		s.Get("blob", &blob)
		fmt.Fprintf(w, "%d %d", len(blob), s.Size())
	})
}

// get sends a request for path through h with the browser's cookies.
func (b *browser) get(tb testing.TB, h http.Handler, path string) *http.Response {
	tb.Helper()
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range b.jar {
			if !yield(n) {
				return
			}
		}
	})
	req, err := http.NewRequest("GET", "https://example.com"+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for _, n := range names {
		req.AddCookie(&http.Cookie{Name: n, Value: b.jar[n]})
	}
	resp := record(h, req)
	b.keep(tb, resp)
	return resp
}

// jarNames returns the names of the cookies in b's jar, sorted.
func (b *browser) jarNames() []string {
	var names []string
	for n := range b.jar {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// TestChunkedGrowAndShrink grows a session over one, two and three cookies
// and back, checking each response's Set-Cookie lines and the jar: chunks
// named after the cookie, each within the browser's limit, the ones no
// longer used deleted on the same response, and the values read back.
func TestChunkedGrowAndShrink(t *testing.T) {
	hook := &hookLog{}
	m := chunked(t, hook)
	h := blobApp(m)
	b := newBrowser()
	for _, step := range []struct {
		n       int
		cookies []string
	}{
		{100, []string{"__Host-session"}},
		{4000, []string{"__Host-session", "__Host-session.1"}},
		{7000, []string{"__Host-session", "__Host-session.1", "__Host-session.2"}},
		{8900, []string{"__Host-session", "__Host-session.1", "__Host-session.2"}},
		{3500, []string{"__Host-session", "__Host-session.1"}},
		{2000, []string{"__Host-session"}},
		{6500, []string{"__Host-session", "__Host-session.1", "__Host-session.2"}},
		{-1, nil},
	} {
		before := b.jarNames()
		resp := b.get(t, h, fmt.Sprintf("/?n=%d", step.n))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("n=%d: status %d", step.n, resp.StatusCode)
		}
		var set, deleted []string
		size := 0
		for i, c := range setCookies(t, resp) {
			if c.MaxAge < 0 {
				deleted = append(deleted, c.Name)
				continue
			}
			set = append(set, c.Name)
			size += len(c.Name) + len(c.Value)
			if c.Path != "/" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge <= 0 {
				t.Errorf("n=%d, cookie %s: attributes %v, want those of the session cookie", step.n, c.Name, c)
			}
			if len(c.Name)+len(c.Value) > cookiesession.MaxCookieSize {
				t.Errorf("n=%d, cookie %d: %d bytes, over the browser's limit", step.n, i, len(c.Name)+len(c.Value))
			}
		}
		if !slices.Equal(set, step.cookies) {
			t.Errorf("n=%d: set %v, want %v", step.n, set, step.cookies)
		}
		for _, name := range deleted {
			if !slices.Contains(before, name) {
				t.Errorf("n=%d: deleted %s, which the request did not carry", step.n, name)
			}
		}
		if got := b.jarNames(); !slices.Equal(got, step.cookies) {
			t.Errorf("n=%d: jar holds %v, want %v (deleted %v)", step.n, got, step.cookies, deleted)
		}
		if step.n < 0 {
			continue
		}
		if body := readBody(t, b.get(t, h, "/")); body != fmt.Sprintf("%d %d", step.n, size) {
			t.Errorf("n=%d: read back %q, want %d %d", step.n, body, step.n, size)
		}
	}
	if calls := hook.calls(); len(calls) > 0 {
		t.Errorf("OnInvalid: got %v, want no call", calls)
	}
}

// TestChunkedLimit fills a session to the largest that fits and checks that
// one byte more is refused where the caller can act, with the session kept.
func TestChunkedLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   cookiesession.Config
		limit int
	}{
		{"default MaxSize", cookiesession.Config{MaxCookies: 3}, 6144},
		{"three full cookies", cookiesession.Config{MaxCookies: 3, MaxSize: 100000}, 3 * cookiesession.MaxCookieSize},
		{"one cookie", cookiesession.Config{}, cookiesession.MaxCookieSize},
		{"one small cookie", cookiesession.Config{MaxSize: 1000}, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mustNew(t, freshRing(t), tc.cfg)
			largest := 0
			for lo, hi := 0, 20000; lo <= hi; {
				mid := (lo + hi) / 2
				s := m.Load(bareRequest())
				if s.Set("blob", strings.Repeat("b", mid)) == nil {
					largest, lo = mid, mid+1
				} else {
					hi = mid - 1
				}
			}
			s := m.Load(bareRequest())
			if err := s.Set("blob", strings.Repeat("b", largest)); err != nil {
				t.Fatal(err)
			}
			size := s.Size()
			if size > tc.limit || size < tc.limit-8 {
				t.Errorf("largest session: %d bytes, want at most %d and within 8 of it", size, tc.limit)
			}
			before := m.Stats().TooLarge
			err := s.Set("blob", strings.Repeat("b", largest+1))
			var se *cookiesession.SizeError
			if !errors.Is(err, cookiesession.ErrTooLarge) || !errors.As(err, &se) {
				t.Fatalf("one byte more: got %v, want a *SizeError matching ErrTooLarge", err)
			}
			if se.Limit != tc.limit || se.Size <= se.Limit || se.Name != "__Host-session" || len(se.Largest) == 0 || !strings.HasPrefix(se.Largest[0], "blob ") {
				t.Errorf("SizeError: got %+v, want Limit %d, Size over it, blob named largest", se, tc.limit)
			}
			if got := m.Stats().TooLarge - before; got != 1 {
				t.Errorf("Stats.TooLarge: grew by %d, want 1", got)
			}
			var blob string
			if _, err := s.Get("blob", &blob); err != nil || len(blob) != largest || s.Size() != size {
				t.Errorf("after the refused write: blob of %d bytes, size %d (%v); want %d, %d", len(blob), s.Size(), err, largest, size)
			}
			rec := httptest.NewRecorder()
			if err := m.Save(rec, s); err != nil {
				t.Fatalf("Save: %v", err)
			}
			total := 0
			for _, c := range setCookies(t, rec.Result()) {
				total += len(c.Name) + len(c.Value)
			}
			if total != size {
				t.Errorf("Save wrote cookies of %d bytes, Size said %d", total, size)
			}
		})
	}
}

// TestChunkedConfig checks New's refusals.
func TestChunkedConfig(t *testing.T) {
	ring := freshRing(t)
	for _, tc := range []struct {
		name string
		cfg  cookiesession.Config
		ok   bool
	}{
		{"default", cookiesession.Config{}, true},
		{"three cookies", cookiesession.Config{MaxCookies: 3}, true},
		{"255 cookies", cookiesession.Config{MaxCookies: 255, MaxSize: 1 << 20}, true},
		{"256 cookies", cookiesession.Config{MaxCookies: 256, MaxSize: 1 << 20}, false},
		{"negative cookies", cookiesession.Config{MaxCookies: -1}, false},
		{"negative size", cookiesession.Config{MaxSize: -1}, false},
		{"size for nothing", cookiesession.Config{MaxSize: 100}, false},
		{"three cookies in one cookie's size", cookiesession.Config{MaxCookies: 3, MaxSize: 4096}, false},
		{"one small cookie", cookiesession.Config{MaxSize: 200}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cookiesession.New(ring, tc.cfg)
			if (err == nil) != tc.ok {
				t.Errorf("New: got %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// record serves req through h and returns the recorded response.
func record(h http.Handler, req *http.Request) *http.Response {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// readBody returns resp's body as a string.
func readBody(tb testing.TB, resp *http.Response) string {
	tb.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// bareRequest returns a request without cookies.
func bareRequest() *http.Request { return httptest.NewRequest("GET", "https://example.com/", nil) }

// mintChunks returns the cookies, by name, of a session holding a blob of n
// bytes, written by h.
func mintChunks(tb testing.TB, h http.Handler, n int) map[string]string {
	tb.Helper()
	b := newBrowser()
	b.get(tb, h, fmt.Sprintf("/?n=%d", n))
	return b.jar
}

// TestChunkedHostile sends chunk sets that must not open: each gives a new,
// empty session, one OnInvalid call with the reason FORMAT.md's rules give,
// no merge of what the chunks hold, and no cookie deleted.
func TestChunkedHostile(t *testing.T) {
	hook := &hookLog{}
	m := chunked(t, hook)
	h := blobApp(m)
	const name = "__Host-session"
	c := mintChunks(t, h, 8000) // three chunks
	d := mintChunks(t, h, 8000) // another session, three chunks
	if len(c) != 3 || len(d) != 3 {
		t.Fatalf("minted %d and %d cookies, want 3 each", len(c), len(d))
	}
	// e is c's session written again: same ID, same content, another seal.
	e := map[string]string{}
	{
		b := &browser{jar: maps.Clone(c)}
		b.get(t, h, "/?n=8001")
		e = b.jar
	}
	pair := func(n, v string) string { return n + "=" + v }
	c0, c1, c2 := pair(name, c[name]), pair(name+".1", c[name+".1"]), pair(name+".2", c[name+".2"])
	count := func(set map[string]string, n byte) string {
		raw, err := base64.RawURLEncoding.DecodeString(set[name][:8])
		if err != nil {
			t.Fatal(err)
		}
		raw[5] = n
		return pair(name, base64.RawURLEncoding.EncodeToString(raw)+set[name][8:])
	}
	for _, tc := range []struct {
		name    string
		cookies []string
		reason  cookiesession.Reason
	}{
		{"first chunk alone", []string{c0}, cookiesession.ReasonChunks},
		{"middle chunk missing", []string{c0, c2}, cookiesession.ReasonChunks},
		{"truncated at a chunk boundary", []string{c0, c1}, cookiesession.ReasonChunks},
		{"chunks 1 and 2 swapped", []string{c0, pair(name+".1", c[name+".2"]), pair(name+".2", c[name+".1"])}, cookiesession.ReasonChunks},
		{"chunk 1 twice, different", []string{c0, c1, pair(name+".1", d[name+".1"]), c2}, cookiesession.ReasonChunks},
		{"chunk 2 from another session", []string{c0, c1, pair(name+".2", d[name+".2"])}, cookiesession.ReasonAuth},
		{"chunk 1 from a later write", []string{c0, pair(name+".1", e[name+".1"]), c2}, cookiesession.ReasonAuth},
		{"last chunk empty", []string{c0, c1, name + ".2="}, cookiesession.ReasonChunks},
		{"last chunk shortened", []string{c0, c1, c2[:len(c2)-4]}, cookiesession.ReasonAuth},
		{"last chunk lengthened", []string{c0, c1, c2 + "AAAA"}, cookiesession.ReasonAuth},
		{"middle chunk shortened", []string{c0, c1[:len(c1)-1], c2}, cookiesession.ReasonChunks},
		{"count 2", []string{count(c, 2), c1[:len(c1)-2]}, cookiesession.ReasonAuth}, // a whole value of 8160 characters
		{"count 4", []string{count(c, 4), c1, c2}, cookiesession.ReasonChunks},
		{"count 1", []string{count(c, 1), c1, c2}, cookiesession.ReasonChunks},
		{"count 255", []string{count(c, 255), c1, c2}, cookiesession.ReasonChunks},
		{"count 0", []string{count(c, 0), c1, c2}, cookiesession.ReasonChunks},
		{"chunks under another name", []string{c0, pair(name+".01", c[name+".1"]), c2}, cookiesession.ReasonChunks},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hook.reset()
			resp := serve(h, strings.Join(tc.cookies, "; "))
			if body := readBody(t, resp); !strings.HasPrefix(body, "0 ") {
				t.Errorf("body %q: want an empty session", body)
			}
			if lines := resp.Header.Values("Set-Cookie"); len(lines) > 0 {
				t.Errorf("Set-Cookie %q: want none", lines)
			}
			calls := hook.calls()
			var ie *cookiesession.InvalidError
			if len(calls) != 1 || !errors.As(calls[0], &ie) || !errors.Is(calls[0], cookiesession.ErrInvalid) {
				t.Fatalf("OnInvalid: got %v, want one *InvalidError", calls)
			}
			if ie.Reason != tc.reason {
				t.Errorf("Reason: got %q, want %q", ie.Reason, tc.reason)
			}
		})
	}

	// A whole set opens, whatever the order of its cookies and however often
	// the same chunk is repeated.
	for _, cookies := range [][]string{{c0, c1, c2}, {c2, c1, c0}, {c1, c0, c2, c1, c2}} {
		hook.reset()
		if body := readBody(t, serve(h, strings.Join(cookies, "; "))); !strings.HasPrefix(body, "8000 ") {
			t.Errorf("cookies %.40q…: body %q, want the blob of 8000 bytes", cookies, body)
		}
		if calls := hook.calls(); len(calls) > 0 {
			t.Errorf("OnInvalid: got %v, want no call", calls)
		}
	}
}

// TestChunkedStale checks chunks beyond a session's count: left from an
// earlier, larger write, they are not read, and the response deletes them
// even when it writes nothing else. Chunk names beyond MaxCookies are not
// the Manager's: neither read nor deleted.
func TestChunkedStale(t *testing.T) {
	hook := &hookLog{}
	m := mustNew(t, freshRing(t), cookiesession.Config{MaxCookies: 4, MaxSize: 4 * cookiesession.MaxCookieSize, OnInvalid: hook.record})
	h := blobApp(m)
	const name = "__Host-session"
	big := mintChunks(t, h, 11000)  // four chunks
	small := mintChunks(t, h, 5000) // two chunks
	if len(big) != 4 || len(small) != 2 {
		t.Fatalf("minted %d and %d cookies, want 4 and 2", len(big), len(small))
	}
	cookies := []string{
		name + "=" + small[name], name + ".1=" + small[name+".1"],
		name + ".2=" + big[name+".2"], name + ".3=" + big[name+".3"], name + ".4=" + big[name+".3"],
	}
	resp := serve(h, strings.Join(cookies, "; "))
	if body := readBody(t, resp); !strings.HasPrefix(body, "5000 ") {
		t.Errorf("body %q, want the blob of 5000 bytes", body)
	}
	var deleted []string
	for _, c := range setCookies(t, resp) {
		if c.MaxAge >= 0 {
			t.Errorf("set %s, want only deletions", c.Name)
		}
		deleted = append(deleted, c.Name)
	}
	if want := []string{name + ".2", name + ".3"}; !slices.Equal(deleted, want) {
		t.Errorf("deleted %v, want %v", deleted, want)
	}
	if calls := hook.calls(); len(calls) > 0 {
		t.Errorf("OnInvalid: got %v, want no call", calls)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store on a response that deletes cookies", cc)
	}
}

// TestChunkedDestroy checks that Destroy deletes every chunk the request
// carried, and only those.
func TestChunkedDestroy(t *testing.T) {
	m := chunked(t, nil)
	h := blobApp(m)
	const name = "__Host-session"
	c := mintChunks(t, h, 8000)
	for _, tc := range []struct {
		name    string
		cookies []string
		deleted []string
	}{
		{"whole set", []string{name + "=" + c[name], name + ".1=" + c[name+".1"], name + ".2=" + c[name+".2"]}, []string{name, name + ".1", name + ".2"}},
		{"chunks without the first", []string{name + ".1=" + c[name+".1"], name + ".2=" + c[name+".2"]}, []string{name + ".1", name + ".2"}},
		{"first alone", []string{name + "=" + c[name]}, []string{name}},
		{"nothing", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "https://example.com/?n=-1", nil)
			req.Header.Set("Cookie", strings.Join(tc.cookies, "; "))
			resp := record(h, req)
			var deleted []string
			for _, sc := range setCookies(t, resp) {
				if sc.MaxAge >= 0 || sc.Value != "" {
					t.Errorf("Set-Cookie %s=%.10s…, want only deletions", sc.Name, sc.Value)
				}
				deleted = append(deleted, sc.Name)
			}
			slices.Sort(deleted)
			if !slices.Equal(deleted, tc.deleted) {
				t.Errorf("deleted %v, want %v", deleted, tc.deleted)
			}
		})
	}
}

// TestChunkedCookieFlood sends a valid set among thousands of cookies whose
// names look like chunks but are not ones the Manager reads: out of range,
// signed, zero-padded, huge. The session opens, and the flood costs no
// allocation: the work is one pass over the header already read.
func TestChunkedCookieFlood(t *testing.T) {
	hook := &hookLog{}
	m := chunked(t, hook)
	h := blobApp(m)
	const name = "__Host-session"
	c := mintChunks(t, h, 8000)
	valid := []string{name + "=" + c[name], name + ".1=" + c[name+".1"], name + ".2=" + c[name+".2"]}
	var flood []string
	for i := range 5000 {
		n := []string{
			fmt.Sprint(3 + i), fmt.Sprint(-i), fmt.Sprintf("0%d", i), fmt.Sprintf("%d0000000000000000000000", i),
			fmt.Sprintf("+%d", i%3), fmt.Sprintf("%dx", i%3), "", fmt.Sprintf(" %d", i%3),
		}[i%8]
		flood = append(flood, fmt.Sprintf("%s.%s=%s", name, n, c[name+".1"][:100]))
	}
	quiet := httptest.NewRequest("GET", "https://example.com/", nil)
	quiet.Header.Set("Cookie", strings.Join(valid, "; "))
	loud := httptest.NewRequest("GET", "https://example.com/", nil)
	loud.Header.Set("Cookie", strings.Join(append(flood[:2500:2500], append(valid, flood[2500:]...)...), "; "))
	if len(loud.Header.Get("Cookie")) < 500000 {
		t.Fatalf("flood of %d bytes, want over 500 KB", len(loud.Header.Get("Cookie")))
	}
	for _, req := range []*http.Request{quiet, loud} {
		if body := readBody(t, record(h, req)); !strings.HasPrefix(body, "8000 ") {
			t.Errorf("body %q, want the blob of 8000 bytes", body)
		}
	}
	if calls := hook.calls(); len(calls) > 0 {
		t.Errorf("OnInvalid: got %v, want no call", calls)
	}
	allocs := func(req *http.Request) float64 {
		return testing.AllocsPerRun(20, func() { h.ServeHTTP(httptest.NewRecorder(), req) })
	}
	if q, l := allocs(quiet), allocs(loud); l != q {
		t.Errorf("allocations: %v with the flood, %v without; want the same", l, q)
	}
}

// TestChunkedToken checks the header transport with chunking on: a token
// carries the whole session in one header value, held to MaxSize, never
// split and never sealed in the chunked format.
func TestChunkedToken(t *testing.T) {
	hook := &hookLog{}
	m := mustNew(t, freshRing(t), cookiesession.Config{MaxCookies: 3, TokenHeader: tokenHeader, OnInvalid: hook.record})
	h := blobApp(m)
	send := func(path string, token string) *http.Response {
		req := httptest.NewRequest("GET", "https://example.com"+path, nil)
		req.Header.Set(tokenHeader, token)
		return record(h, req)
	}
	resp := send("/?n=4000", "")
	token, ok := tokenOf(t, resp)
	if !ok || len(token) <= cookiesession.MaxCookieSize {
		t.Fatalf("token of %d bytes (%v), want one longer than a cookie", len(token), ok)
	}
	if body := readBody(t, send("/", token)); !strings.HasPrefix(body, "4000 ") {
		t.Errorf("reading the token back: body %q, want the blob of 4000 bytes", body)
	}
	if size := len("__Host-session") + len(token); size > 6144 {
		t.Errorf("token and name: %d bytes, over MaxSize", size)
	}
	if resp := send("/?n=6000", token); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a session over MaxSize: status %d, want the write refused", resp.StatusCode)
	}
	// A cookie chunk set does not open as a token, nor a token too long for
	// three cookies.
	c := mintChunks(t, blobApp(chunked(t, nil)), 8000)
	for _, tc := range []struct {
		name   string
		token  string
		reason cookiesession.Reason
	}{
		{"first chunk, cut to whole base64 quanta", c["__Host-session"][:4080], cookiesession.ReasonVersion},
		{"the chunks joined", c["__Host-session"] + c["__Host-session.1"] + c["__Host-session.2"], cookiesession.ReasonVersion},
		{"longer than three cookies", strings.Repeat("A", 3*cookiesession.MaxCookieSize), cookiesession.ReasonTooLong},
	} {
		hook.reset()
		if body := readBody(t, send("/", tc.token)); !strings.HasPrefix(body, "0 ") {
			t.Errorf("%s: body %q, want an empty session", tc.name, body)
		}
		var ie *cookiesession.InvalidError
		if calls := hook.calls(); len(calls) != 1 || !errors.As(calls[0], &ie) || ie.Reason != tc.reason {
			t.Errorf("%s: OnInvalid got %v, want %q", tc.name, calls, tc.reason)
		}
	}
}

// TestChunkedRotation checks that a chunked session sealed under an old key
// is re-sealed under the primary on its next response, still chunked, with
// its ID, issued-at time and expiry kept.
func TestChunkedRotation(t *testing.T) {
	oldKey, newKey := cookiesession.GenerateKey(), cookiesession.GenerateKey()
	cfg := cookiesession.Config{MaxCookies: 3, MaxSize: 3 * cookiesession.MaxCookieSize}
	before := mustNew(t, ringOf(t, oldKey), cfg)
	after := mustNew(t, ringOf(t, newKey, oldKey), cfg)
	type info struct{ id, key, issued, expires string }
	inspect := func(m *cookiesession.Manager) http.Handler {
		return wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
			if r.URL.Query().Has("n") {
				s.Set("blob", strings.Repeat("b", 8000))
			}
			fmt.Fprint(w, s.ID(), "|", s.KeyID(), "|", s.IssuedAt().Unix(), "|", s.ExpiresAt().Unix())
		})
	}
	b := newBrowser()
	first := readBody(t, b.get(t, inspect(before), "/?n"))
	resp := b.get(t, inspect(after), "/")
	got := readBody(t, resp)
	if len(setCookies(t, resp)) != 3 {
		t.Errorf("re-seal: %d Set-Cookie lines, want the three chunks", len(setCookies(t, resp)))
	}
	if f, g := strings.Split(first, "|"), strings.Split(got, "|"); len(f) != 4 || len(g) != 4 || f[0] != g[0] || f[2] != g[2] || f[3] != g[3] {
		t.Errorf("before rotation %q, opened after %q: want the same ID and times", first, got)
	}
	if got := after.Stats().Resealed; got != 1 {
		t.Errorf("Stats.Resealed: got %d, want 1", got)
	}
	again := readBody(t, b.get(t, inspect(after), "/"))
	if g := strings.Split(again, "|"); g[1] != after.Stats().Keys[0].ID {
		t.Errorf("after the re-seal the key is %s, want the primary %s", g[1], after.Stats().Keys[0].ID)
	}
}
