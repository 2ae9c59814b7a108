package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/internal/testenv"
)

// The tests of this file measure the limits a session split over several
// cookies meets: what Chromium stores and sends, and what Go's and Node's
// HTTP servers accept. (nginx's are measured behind a real nginx by the
// root package's TestChunkedBehindNginx.) The README's "Sessions over 4 KB"
// quotes them; each figure it quotes is asserted here.

// cookieLab is a server that sets the cookies a request's query asks for
// and reports the Cookie header it receives.
func cookieLab(t *testing.T) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		n, _ := strconv.Atoi(q.Get("n"))
		size, _ := strconv.Atoi(q.Get("size"))
		prefix := q.Get("prefix")
		for i := range n {
			name := fmt.Sprintf("%s%03d", prefix, i)
			value := strings.Repeat("v", max(size-len(name), 1))
			w.Header().Add("Set-Cookie", name+"="+value+"; Path=/; Max-Age=3600")
		}
		fmt.Fprintf(w, "%d %d", len(r.Header.Values("Cookie")), len(r.Header.Get("Cookie")))
	}))
	srv.Config.MaxHeaderBytes = 4 << 20
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// sent returns the length of the Cookie header that Chromium sends to the
// lab, as the lab reports it.
func (b *browser) sent(t *testing.T) int {
	t.Helper()
	b.open(t, "/")
	body := run(t, b, chromedp.Evaluate[string]("document.body.textContent"))
	var lines, n int
	if _, err := fmt.Sscan(body, &lines, &n); err != nil {
		t.Fatalf("lab's answer %q: %v", body, err)
	}
	return n
}

// stored returns how many cookies Chromium holds for the lab.
func (b *browser) stored(t *testing.T) []*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Cookies
}

// clearCookies empties the browser's cookie jar.
func (b *browser) clearCookies(t *testing.T) {
	t.Helper()
	if _, err := chromedp.Call(b.ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
}

// TestChromiumCookieLimits measures, in Chromium: the largest cookie it
// stores (name plus value), how many cookies it keeps for one host, and
// whether it caps the Cookie header it sends.
func TestChromiumCookieLimits(t *testing.T) {
	execPath := chromium(t)
	lab := cookieLab(t)
	b := newBrowser(t, execPath, lab.URL)
	version := run(t, b, chromedp.Evaluate[string]("navigator.userAgent"))
	t.Logf("%s", version)

	t.Run("one cookie", func(t *testing.T) {
		b.open(t, "/?n=1&size=4096&prefix=a")
		b.open(t, "/?n=1&size=4097&prefix=a") // the same name, one byte larger
		cs := b.stored(t)
		if len(cs) != 1 || len(cs[0].Name)+len(cs[0].Value) != cookiesession.MaxCookieSize {
			t.Fatalf("after 4096 then 4097 bytes: got %d cookies, want the 4096-byte one kept", len(cs))
		}
		t.Logf("a cookie of 4096 bytes (name and value) is stored; one of 4097 is dropped and the old one kept")
		b.clearCookies(t)
	})

	t.Run("cookies a host keeps", func(t *testing.T) {
		b.open(t, "/?n=180&size=20&prefix=c")
		if n := len(b.stored(t)); n != 180 {
			t.Errorf("after 180 cookies: %d stored, want 180", n)
		}
		b.open(t, "/?n=1&size=20&prefix=d")
		n := len(b.stored(t))
		t.Logf("Chromium keeps 180 cookies a host; the 181st makes it evict down to %d", n)
		if n >= 180 {
			t.Errorf("after a 181st cookie: %d stored, want fewer than 180", n)
		}
		b.clearCookies(t)
	})

	t.Run("the Cookie header", func(t *testing.T) {
		// Set in batches of 50: Chromium refuses a response whose headers
		// pass 256 KB (ERR_RESPONSE_HEADERS_TOO_BIG).
		for _, n := range []int{3, 30, 150} {
			for i := 0; i < n; i += 50 {
				b.open(t, fmt.Sprintf("/?n=%d&size=4096&prefix=e%d", min(50, n-i), i/50))
			}
			got := b.sent(t)
			want := n*4096 + n + 2*(n-1) // name=value pairs joined by "; "
			t.Logf("%d cookies of 4096 bytes: Chromium sends a Cookie header of %d bytes", n, got)
			if got != want {
				t.Errorf("%d full cookies: Cookie header of %d bytes, want %d: all of them", n, got, want)
			}
			b.clearCookies(t)
		}
	})
}

// largestHeader returns the length of the largest Cookie header that a
// server at addr accepts in a raw HTTP/1.1 request, found by bisection,
// and the status line of its answer to one byte more.
func largestHeader(t *testing.T, addr string, hi int) (int, string) {
	t.Helper()
	send := func(n int) string {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: lab\r\nCookie: a=%s\r\nConnection: close\r\n\r\n", strings.Repeat("v", n-2))
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			return "no answer: " + err.Error()
		}
		return strings.TrimSpace(line)
	}
	ok := 0
	for lo := 0; lo <= hi; {
		mid := (lo + hi) / 2
		if strings.HasPrefix(send(mid), "HTTP/1.1 200") {
			ok, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	return ok, send(ok + 1)
}

// TestServerHeaderLimits measures the largest Cookie header that Go's
// net/http server, with its default MaxHeaderBytes, and Node.js's http
// server, with its default --max-http-header-size, accept: the request
// line, Host and Cookie headers, and nothing else.
func TestServerHeaderLimits(t *testing.T) {
	t.Run("Go", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		t.Cleanup(srv.Close)
		n, over := largestHeader(t, srv.Listener.Addr().String(), 2<<20)
		t.Logf("Go's server (MaxHeaderBytes %d): a Cookie header of %d bytes passes; one more: %s", http.DefaultMaxHeaderBytes, n, over)
		if n < http.DefaultMaxHeaderBytes || !strings.Contains(over, "431") {
			t.Errorf("Go: %d bytes pass, then %q; want about 1 MB, then 431", n, over)
		}
	})
	t.Run("Node.js", func(t *testing.T) {
		node := testenv.Command(t, "node", "sudo apt-get install -y nodejs")
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		cmd := exec.CommandContext(ctx, node, "-e", `
const http = require('http');
const s = http.createServer((req, res) => res.end('ok'));
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cancel(); cmd.Wait() })
		port, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			t.Fatalf("node: %v", err)
		}
		v, _ := exec.Command(node, "--version").Output()
		n, over := largestHeader(t, "127.0.0.1:"+strings.TrimSpace(port), 64<<10)
		t.Logf("Node.js %s: a Cookie header of %d bytes passes; one more: %s", strings.TrimSpace(string(v)), n, over)
		if n > 16<<10 || n < 16<<10-100 || !strings.Contains(over, "431") {
			t.Errorf("Node.js: %d bytes pass, then %q; want just under 16 KB, then 431", n, over)
		}
	})
}
