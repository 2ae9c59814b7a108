package e2e

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/demo/demoapp"
	"github.com/cookiesession/cookiesession/internal/testenv"
)

const (
	cookieName = demoapp.CookieName
	runTimeout = 60 * time.Second // the whole browser run
)

// chromium returns the browser to drive, or skips the test; in CI (CI set)
// a missing browser fails it instead.
func chromium(t *testing.T) string {
	return testenv.Command(t, "chromium", "sudo apt-get install -y chromium", "/usr/bin/chromium")
}

// browser is one headless Chromium tab on the demo at base.
type browser struct {
	ctx  context.Context
	base string
}

// newBrowser starts Chromium with a fresh profile and only the flags it
// needs: none that would reach the network.
func newBrowser(t *testing.T, execPath, base string) *browser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(execPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", execPath, err)
	}
	return &browser{ctx: bctx, base: base}
}

func (b *browser) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func run[T any](t *testing.T, b *browser, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// open loads path and returns the HTTP status of the page.
func (b *browser) open(t *testing.T, path string) int64 {
	t.Helper()
	res := run(t, b, chromedp.NavigateResponse(b.base+path))
	return res.Status
}

// submit clicks the button or link sel, waits for the page it leads to (after any
// redirect) and returns that page's HTTP status.
func (b *browser) submit(t *testing.T, sel string) int64 {
	t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("submitting with %s: %v", sel, err)
	}
	return res.Status
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	return strings.TrimSpace(run(t, b, chromedp.TextContent(chromedp.CSS(sel))))
}

// count returns how many elements match sel, without waiting for one.
func (b *browser) count(t *testing.T, sel string) int {
	t.Helper()
	return run(t, b, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
}

// texts returns the text of every element matching sel.
func (b *browser) texts(t *testing.T, sel string) []string {
	t.Helper()
	return run(t, b, chromedp.Evaluate[[]string](fmt.Sprintf("Array.from(document.querySelectorAll(%q), e => e.textContent.trim())", sel)))
}

// cookie returns the session cookie the browser holds for the demo, as the
// DevTools protocol reports it, or nil.
func (b *browser) cookie(t *testing.T) *network.Cookie {
	t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base}})
	if err != nil {
		t.Fatal(err)
	}
	var found *network.Cookie
	for _, c := range res.Cookies {
		if c.Name != cookieName {
			continue
		}
		if found != nil {
			t.Fatalf("the browser holds two %s cookies", cookieName)
		}
		found = c
	}
	return found
}

// screenshot saves the whole page as name in $E2E_SCREENSHOT_DIR, or in a
// temporary directory.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	png := run(t, b, chromedp.FullScreenshot(100))
	dir := os.Getenv("E2E_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

var sessionFull = regexp.MustCompile(`^Session full: that note would make the cookies (\d+) bytes, over the 12288-byte limit of three; your previous notes are kept\.$`)

// sessionCookies returns the cookies the browser holds for the demo's
// session, the cookie and its chunks, sorted by name, after checking each
// one's attributes and size.
func (b *browser) sessionCookies(t *testing.T) []*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base}})
	if err != nil {
		t.Fatal(err)
	}
	var cs []*network.Cookie
	for _, c := range res.Cookies {
		if c.Name == cookieName || strings.HasPrefix(c.Name, cookieName+".") {
			checkCookieAttributes(t, c)
			cs = append(cs, c)
		}
	}
	slices.SortFunc(cs, func(a, b *network.Cookie) int { return strings.Compare(a.Name, b.Name) })
	return cs
}

// checkJar checks that the browser holds the session's cookies as the
// page's size panel lists them: their names, sizes and total.
func (b *browser) checkJar(t *testing.T) []*network.Cookie {
	t.Helper()
	cs := b.sessionCookies(t)
	var jar []string
	total := 0
	for _, c := range cs {
		jar = append(jar, fmt.Sprintf("%s %d", c.Name, len(c.Name)+len(c.Value)))
		total += len(c.Name) + len(c.Value)
	}
	panel := b.texts(t, "#chunks li")
	for i, l := range panel {
		panel[i] = strings.TrimSuffix(l, " bytes")
	}
	if !slices.Equal(jar, panel) {
		t.Errorf("the browser holds %q, the page lists %q", jar, panel)
	}
	if len(cs) > 0 && b.text(t, "#size") != strconv.Itoa(total) {
		t.Errorf("page shows %s bytes, the browser holds %d", b.text(t, "#size"), total)
	}
	return cs
}

// values returns the cookies' values by name.
func values(cs []*network.Cookie) map[string]string {
	m := map[string]string{}
	for _, c := range cs {
		m[c.Name] = c.Value
	}
	return m
}

// TestDemoInBrowser walks through the demo as a user would, checking at
// each step what the browser stored. The steps share one browser and run
// in order; the first failure stops the walk.
func TestDemoInBrowser(t *testing.T) {
	execPath := chromium(t)
	h, err := demoapp.New(cookiesession.InsecureDevelopmentKeyRing())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h) // plain HTTP on 127.0.0.1: a secure context for cookies
	t.Cleanup(srv.Close)
	start := time.Now()
	b := newBrowser(t, execPath, srv.URL)
	t.Logf("%s started in %v", execPath, time.Since(start).Round(time.Millisecond))

	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("a first visit sets no cookie", func(t *testing.T) {
		if status := b.open(t, "/"); status != http.StatusOK {
			t.Fatalf("GET /: got %d, want 200", status)
		}
		if got := b.text(t, "#state-new"); got != "new session" {
			t.Errorf("session state: got %q, want %q", got, "new session")
		}
		if c := b.cookie(t); c != nil {
			t.Errorf("got cookie %s=%.20s…, want none for an empty session", c.Name, c.Value)
		}
	})

	step("sign in with remember me shows the welcome", func(t *testing.T) {
		b.do(t,
			chromedp.SendKeys(chromedp.CSS("#user"), "alice"),
			chromedp.Click(chromedp.CSS("#remember")),
		)
		if status := b.submit(t, "#login"); status != http.StatusOK {
			t.Fatalf("page after sign-in: got %d, want 200", status)
		}
		if got := b.texts(t, ".flash.info"); len(got) != 1 || got[0] != "Welcome, alice!" {
			t.Errorf("flashes: got %q, want [Welcome, alice!]", got)
		}
		if got := b.text(t, "#who"); got != "alice" {
			t.Errorf("greeting: got %q, want alice", got)
		}
		b.screenshot(t, "demo-home.png")
	})

	step("the cookie is __Host-, HttpOnly, Secure, SameSite=Lax, Path=/ and persistent", func(t *testing.T) {
		c := b.cookie(t)
		if c == nil {
			t.Fatal("no session cookie after sign-in")
		}
		checkCookieAttributes(t, c)
		if c.Session {
			t.Errorf("with remember me: got a browser-session cookie, want a persistent one")
		}
		expires := time.Unix(int64(c.Expires), 0)
		if now := time.Now(); expires.Before(now.Add(23*time.Hour)) || expires.After(now.Add(25*time.Hour)) {
			t.Errorf("expires %v, want about 24 h from now", expires)
		}
		if got, want := b.text(t, "#size"), strconv.Itoa(len(c.Name)+len(c.Value)); got != want {
			t.Errorf("page shows a %s-byte cookie, browser holds %s bytes", got, want)
		}
	})

	step("page scripts cannot read the cookie", func(t *testing.T) {
		if dc := run(t, b, chromedp.Evaluate[string]("document.cookie")); strings.Contains(dc, cookieName) {
			t.Errorf("document.cookie = %q exposes the session cookie", dc)
		}
	})

	step("the welcome flash shows once", func(t *testing.T) {
		b.do(t, chromedp.Reload())
		if n := b.count(t, ".flash"); n != 0 {
			t.Errorf("after reload: %d flashes, want none: %q", n, b.texts(t, ".flash"))
		}
		if got := b.text(t, "#who"); got != "alice" {
			t.Errorf("after reload: greeting %q, want alice", got)
		}
	})

	step("the counter counts", func(t *testing.T) {
		for want := 1; want <= 2; want++ {
			if status := b.submit(t, "#count-btn"); status != http.StatusOK {
				t.Fatalf("page after counting: got %d, want 200", status)
			}
			if got := b.text(t, "#count"); got != strconv.Itoa(want) {
				t.Errorf("count: got %s, want %d", got, want)
			}
		}
	})

	step("sign out deletes the cookie", func(t *testing.T) {
		signOut(t, b)
	})

	step("sign in without remember me sets a browser-session cookie", func(t *testing.T) {
		b.do(t, chromedp.SendKeys(chromedp.CSS("#user"), "bob"))
		if status := b.submit(t, "#login"); status != http.StatusOK {
			t.Fatalf("page after sign-in: got %d, want 200", status)
		}
		c := b.cookie(t)
		if c == nil {
			t.Fatal("no session cookie after sign-in")
		}
		checkCookieAttributes(t, c)
		if !c.Session || c.Expires > 0 {
			t.Errorf("without remember me: got session=%v expires=%v, want a browser-session cookie", c.Session, c.Expires)
		}
		if got := b.text(t, "#state-persistent"); got != "browser session" {
			t.Errorf("panel: got %q, want %q", got, "browser session")
		}
	})

	var kept []string
	addNotes := func(t *testing.T, first, last int, stop func(cookies int) bool) (refused bool) {
		filler := strings.Repeat("A cookie holds about four kilobytes. ", 8)
		for i := first; i <= last; i++ {
			before := values(b.sessionCookies(t))
			note := fmt.Sprintf("Note %d. %s", i, strings.TrimSpace(filler))
			b.do(t, chromedp.SetValue(chromedp.CSS("#note"), note))
			status := b.submit(t, "#add-note")
			if status == http.StatusOK {
				kept = append(kept, note)
				cs := b.checkJar(t)
				if stop(len(cs)) {
					return false
				}
				continue
			}
			if status != http.StatusUnprocessableEntity {
				t.Fatalf("note %d: got %d, want 200 or 422", i, status)
			}
			t.Logf("note %d refused after %d were kept", i, len(kept))
			errs := b.texts(t, ".flash.error")
			if len(errs) != 1 || !sessionFull.MatchString(errs[0]) {
				t.Fatalf("page after refusal: got errors %q, want the session-full message", errs)
			}
			m := sessionFull.FindStringSubmatch(errs[0])
			if n, _ := strconv.Atoi(m[1]); n <= 3*cookiesession.MaxCookieSize {
				t.Errorf("refusal names %d bytes, want more than %d", n, 3*cookiesession.MaxCookieSize)
			}
			if after := values(b.checkJar(t)); !maps.Equal(after, before) {
				t.Errorf("the browser's cookies changed on the refused note; it must keep the previous ones")
			}
			if got := b.texts(t, "#notes li"); !slices.Equal(got, kept) {
				t.Errorf("page lists %d notes, want the %d kept", len(got), len(kept))
			}
			if got := run(t, b, chromedp.Value(chromedp.CSS("#note"))); got != note {
				t.Errorf("the refused note is not kept in the form")
			}
			return true
		}
		t.Fatalf("no note refused after %d notes", len(kept))
		return false
	}

	step("notes grow the session over one, two, three cookies until the library refuses, and the old cookies stay", func(t *testing.T) {
		most := 0
		if !addNotes(t, 1, 60, func(cookies int) bool { most = max(most, cookies); return false }) {
			t.Fatal("no note refused")
		}
		if most != 3 {
			t.Errorf("the session took at most %d cookies, want 3", most)
		}
		b.screenshot(t, "demo-notes-full.png")
	})

	step("the server still opens the kept cookies", func(t *testing.T) {
		// Follow the page's link to the panel's JSON, as a user would.
		if status := b.submit(t, `a[href="/api/session"]`); status != http.StatusOK {
			t.Fatalf("GET /api/session: got %d, want 200", status)
		}
		p := run(t, b, chromedp.Evaluate[demoapp.Panel]("JSON.parse(document.body.textContent)"))
		if p.User != "bob" || p.New || !slices.Equal(p.Notes, kept) {
			t.Errorf("GET /api/session: got user %q, new %v, %d notes; want bob's session with the %d kept notes", p.User, p.New, len(p.Notes), len(kept))
		}
		total := 0
		for _, c := range b.sessionCookies(t) {
			total += len(c.Name) + len(c.Value)
		}
		if p.Size != total || len(p.Cookies) != 3 {
			t.Errorf("server reports %d bytes in %d cookies, the browser holds %d", p.Size, len(p.Cookies), total)
		}
	})

	step("clearing the notes goes back to one cookie and deletes the chunks", func(t *testing.T) {
		if status := b.open(t, "/"); status != http.StatusOK {
			t.Fatalf("GET /: got %d, want 200", status)
		}
		if status := b.submit(t, "#clear-notes"); status != http.StatusOK {
			t.Fatalf("page after clearing: got %d, want 200", status)
		}
		kept = nil
		if cs := b.checkJar(t); len(cs) != 1 || cs[0].Name != cookieName {
			t.Errorf("after clearing: the browser holds %d cookies of the session, want %s alone", len(cs), cookieName)
		}
	})

	step("sign out deletes every chunk", func(t *testing.T) {
		addNotes(t, 1, 60, func(cookies int) bool { return cookies == 3 })
		if n := len(b.sessionCookies(t)); n != 3 {
			t.Fatalf("before sign-out: %d cookies, want 3", n)
		}
		signOut(t, b)
	})

	t.Logf("browser walk took %v", time.Since(start).Round(time.Millisecond))
}

func checkCookieAttributes(t *testing.T, c *network.Cookie) {
	t.Helper()
	if !strings.HasPrefix(c.Name, cookieName) || !c.HTTPOnly || !c.Secure || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
		t.Errorf("cookie %s: HttpOnly=%v Secure=%v SameSite=%q Path=%q; want %s, HttpOnly, Secure, SameSite=Lax, Path=/",
			c.Name, c.HTTPOnly, c.Secure, c.SameSite, c.Path, cookieName)
	}
	if n := len(c.Name) + len(c.Value); n > cookiesession.MaxCookieSize {
		t.Errorf("cookie is %d bytes, over the limit", n)
	}
}

func signOut(t *testing.T, b *browser) {
	t.Helper()
	if status := b.submit(t, "#logout"); status != http.StatusOK {
		t.Fatalf("page after sign-out: got %d, want 200", status)
	}
	if got := b.texts(t, ".flash.info"); len(got) != 1 || !strings.HasPrefix(got[0], "Signed out") {
		t.Errorf("flashes after sign-out: got %q", got)
	}
	if cs := b.sessionCookies(t); len(cs) > 0 {
		t.Errorf("the browser still holds %d cookies of the session after sign-out: %s…", len(cs), cs[0].Name)
	}
	if b.count(t, "#login") != 1 {
		t.Errorf("no sign-in form after sign-out")
	}
}
