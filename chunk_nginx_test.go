package cookiesession_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/internal/nginxtest"
)

// nginxBuffers are the directives a service behind nginx needs for sessions
// near one cookie's limit or larger: nginx holds an upstream's response
// headers in proxy_buffer_size, one memory page (4 KB) by default, and
// answers 502 to a response whose headers do not fit.
const nginxBuffers = "proxy_buffer_size 16k; proxy_buffers 4 16k;"

// largestBlob returns the longest blob that m's sessions can hold.
func largestBlob(m *cookiesession.Manager) int {
	largest := 0
	for lo, hi := 0, 100000; lo <= hi; {
		mid := (lo + hi) / 2
		if m.Load(bareRequest()).Set("blob", strings.Repeat("b", mid)) == nil {
			largest, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	return largest
}

// proxied is a client of blobApp behind nginx, keeping cookies by hand (the
// cookies are Secure, and this is plain HTTP on loopback) and sending
// extra cookies of the site's own with each request.
type proxied struct {
	url   string
	jar   *browser
	extra string
	token *string // for a token client, the token it holds
}

// get sends a request for path and returns the response and its body. A
// body cut short makes the status 0: nginx sends one with its default
// buffer when the upstream's headers fill it to the byte.
func (p *proxied) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", p.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for _, n := range p.jar.jarNames() {
		pairs = append(pairs, n+"="+p.jar.jar[n])
	}
	if p.extra != "" {
		pairs = append(pairs, p.extra)
	}
	if len(pairs) > 0 {
		req.Header.Set("Cookie", strings.Join(pairs, "; "))
	}
	if p.token != nil {
		req.Header.Set(tokenHeader, *p.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Logf("%s: %s, body cut short: %v", path, resp.Status, err)
		resp.StatusCode, resp.Status = 0, "a body cut short"
	}
	if resp.StatusCode == http.StatusOK {
		p.jar.keep(t, resp)
		if v, ok := resp.Header[tokenHeader]; ok && p.token != nil {
			*p.token = v[0]
		}
	}
	return resp, string(body)
}

// TestChunkedBehindNginx runs a session of three cookies at most, with the
// default MaxSize, behind a real nginx that keeps its default limit on
// request headers (8 KB a line): the largest session that Set allows
// passes, with 2 KB of the site's other cookies beside it; one byte more is
// refused by Set, where the application answers, and the session stays
// whole. A MaxSize past nginx's limit is refused by nginx on the request
// after the write. And with nginx's default response buffer, writing such a
// session fails: nginx needs nginxBuffers.
func TestChunkedBehindNginx(t *testing.T) {
	t.Logf("nginx %s", nginxtest.Version(t))
	m := mustNew(t, freshRing(t), cookiesession.Config{MaxCookies: 3, TokenHeader: tokenHeader})
	backend := httptest.NewServer(blobApp(m))
	t.Cleanup(backend.Close)
	front := nginxtest.Start(t, backend.URL, nginxBuffers)
	largest := largestBlob(m)

	c := &proxied{url: front, jar: newBrowser()}
	resp, body := c.get(t, fmt.Sprintf("/?n=%d", largest))
	if resp.StatusCode != http.StatusOK || len(c.jar.jar) != 2 {
		t.Fatalf("writing the largest session: %s, %d cookies: %s", resp.Status, len(c.jar.jar), body)
	}
	size := cookieBytes(c.jar)
	if size > 6144 || size < 6144-8 {
		t.Errorf("largest session: %d bytes, want just under the default MaxSize, 6144", size)
	}

	// Room for the site's other cookies: find the most nginx takes.
	room := 0
	for lo, hi := 0, 8192; lo <= hi; {
		mid := (lo + hi) / 2
		c.extra = "other=" + strings.Repeat("o", mid)
		if resp, _ := c.get(t, "/"); resp.StatusCode == http.StatusOK {
			room, lo = mid, mid+1
		} else if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("other cookie of %d bytes: %s, want 200 or nginx's 400", mid, resp.Status)
		} else {
			hi = mid - 1
		}
	}
	c.extra = "other=" + strings.Repeat("o", room+1)
	resp, body = c.get(t, "/")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Request Header Or Cookie Too Large") {
		t.Errorf("one byte past the room: %s %q, want nginx's 400", resp.Status, body)
	}
	t.Logf("beside the largest session (%d bytes in 2 cookies), nginx takes %d more bytes of cookies (a name=value pair of %d bytes and its separator)", size, room+len("other=; "), room+len("other="))
	if room < 2000 {
		t.Errorf("room for other cookies: %d bytes, want at least 2000", room)
	}

	c.extra = "other=" + strings.Repeat("o", 2000)
	if resp, body := c.get(t, "/"); resp.StatusCode != http.StatusOK || body != fmt.Sprintf("%d %d", largest, size) {
		t.Errorf("largest session with 2 KB of other cookies: %s %q, want 200 and the blob", resp.Status, body)
	}
	resp, body = c.get(t, fmt.Sprintf("/?n=%d", largest+1))
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "cookiesession:") || len(resp.Header.Values("Set-Cookie")) > 0 {
		t.Errorf("one byte more: %s %q %q, want the application's 413 and no cookie", resp.Status, body, resp.Header.Values("Set-Cookie"))
	}
	if resp, body := c.get(t, "/"); resp.StatusCode != http.StatusOK || body != fmt.Sprintf("%d %d", largest, size) {
		t.Errorf("after the refused write: %s %q, want the session as it was", resp.Status, body)
	}

	// Tokens: one header line, held to MaxSize too.
	token := ""
	tc := &proxied{url: front, jar: newBrowser(), token: &token}
	if resp, body := tc.get(t, fmt.Sprintf("/?n=%d", largest)); resp.StatusCode != http.StatusOK || len(token) < 6000 {
		t.Fatalf("the largest token: %s, %d bytes: %s", resp.Status, len(token), body)
	}
	if resp, body := tc.get(t, "/"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, fmt.Sprint(largest)+" ") {
		t.Errorf("sending the largest token: %s %q, want 200 and the blob", resp.Status, body)
	}
	if resp, _ := tc.get(t, fmt.Sprintf("/?n=%d", largest+1)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a token one byte larger: %s, want the application's 413", resp.Status)
	}

	// A MaxSize past nginx's limit: the write goes through, and nginx
	// refuses the next request.
	big := mustNew(t, freshRing(t), cookiesession.Config{MaxCookies: 3, MaxSize: 3 * cookiesession.MaxCookieSize})
	bigBackend := httptest.NewServer(blobApp(big))
	t.Cleanup(bigBackend.Close)
	b := &proxied{url: nginxtest.Start(t, bigBackend.URL, nginxBuffers), jar: newBrowser()}
	if resp, body := b.get(t, "/?n=8000"); resp.StatusCode != http.StatusOK {
		t.Fatalf("writing 8000 bytes with MaxSize 12288: %s %s", resp.Status, body)
	}
	if resp, body := b.get(t, "/"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Request Header Or Cookie Too Large") {
		t.Errorf("the next request: %s %q, want nginx's 400", resp.Status, body)
	}

	// nginx's default response buffer: the write itself fails.
	d := &proxied{url: nginxtest.Start(t, backend.URL, ""), jar: newBrowser()}
	if resp, _ := d.get(t, fmt.Sprintf("/?n=%d", largest)); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("writing the largest session through nginx's default proxy_buffer_size: %s, want nginx's 502", resp.Status)
	}
	// The largest session nginx's defaults let through.
	most := 0
	for lo, hi := 0, largest; lo <= hi; {
		mid := (lo + hi) / 2
		d.jar = newBrowser()
		if resp, _ := d.get(t, fmt.Sprintf("/?n=%d", mid)); resp.StatusCode == http.StatusOK {
			most, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	d.jar = newBrowser()
	d.get(t, fmt.Sprintf("/?n=%d", most))
	t.Logf("nginx's default proxy_buffer_size lets through a session of at most %d bytes (a Set-Cookie line of %d)", cookieBytes(d.jar), len(d.jar.jarNames()[0])+1+len(d.jar.jar[d.jar.jarNames()[0]]))
	if most == 0 || cookieBytes(d.jar) >= cookiesession.MaxCookieSize {
		t.Errorf("largest session through nginx's defaults: %d bytes, want some, and less than one cookie", cookieBytes(d.jar))
	}
}

// cookieBytes is the size of the cookies in b's jar: names plus values.
func cookieBytes(b *browser) int {
	n := 0
	for name, v := range b.jar {
		n += len(name) + len(v)
	}
	return n
}
