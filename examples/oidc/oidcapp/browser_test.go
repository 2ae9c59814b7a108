package oidcapp_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/cookiesession/cookiesession/examples/oidc/oidcapp"
	"github.com/cookiesession/cookiesession/examples/oidc/provider"
	"github.com/cookiesession/cookiesession/internal/testenv"
)

// browser is a headless Chromium with a fresh profile.
type browser struct {
	t   *testing.T
	ctx context.Context
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	execPath := testenv.Command(t, "chromium", "sudo apt-get install -y chromium", "/usr/bin/chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
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
	)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", execPath, err)
	}
	return &browser{t: t, ctx: bctx}
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// open loads u and returns the HTTP status of the page it ends on.
func (b *browser) open(u string) int64 {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(u))
	if err != nil {
		b.t.Fatal(err)
	}
	return res.Status
}

// click clicks sel and returns the status of the page it leads to, after
// every redirect and any form the page posts by itself.
func (b *browser) click(sel string) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("clicking %s: %v", sel, err)
	}
	return res.Status
}

// text returns the text of sel, or "" if the page has no such element.
func (b *browser) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector(`+quote(sel)+`) || {textContent: ""}).textContent.trim()`))
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

func (b *browser) url() string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.href`))
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// cookies returns every cookie the browser holds, for every site.
func (b *browser) cookies() []*network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		b.t.Fatal(err)
	}
	return res.Cookies
}

// session returns the application's session cookie, or nil.
func (b *browser) session() *network.Cookie {
	b.t.Helper()
	for _, c := range b.cookies() {
		if c.Name == oidcapp.CookieName {
			return c
		}
	}
	return nil
}

// signIn signs u in on the provider's own login form, starting from the
// application's button sel.
func (b *browser) signIn(sel string, u provider.User) int64 {
	b.t.Helper()
	if status := b.click(sel); status != http.StatusOK || !strings.Contains(b.url(), "/login/username") {
		b.t.Fatalf("sign-in: got %d at %s, want the provider's login form", status, b.url())
	}
	b.do(
		chromedp.SendKeys(chromedp.CSS("#username"), u.Username),
		chromedp.SendKeys(chromedp.CSS("#password"), u.Password),
	)
	return b.click(`button[type="submit"]`)
}

// poll reloads the page every 50 ms until done, for at most within, and
// returns when done was first true.
func (b *browser) poll(within time.Duration, done func() bool) time.Time {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		b.do(chromedp.Reload())
		if now := time.Now(); done() {
			return now
		} else if now.After(deadline) {
			b.t.Fatalf("not done after %v, at %s: %q", within, b.url(), b.text("h1"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// TestBrowser signs in on the provider's login form in Chromium, and
// watches the session refresh, end when the provider revokes the grant,
// end at logout, and fail with response_mode=form_post; then a user whose
// session takes two cookies signs in and out.
func TestBrowser(t *testing.T) {
	t.Parallel()
	// Access tokens of 3 s (expires_in 2), checked every 2 s: every check
	// refreshes, so a revocation is noticed within 2 s.
	tm := timings{accessTTL: 3 * time.Second, every: 2 * time.Second, grace: time.Minute}
	e := start(t, tm)
	started := time.Now()
	b := newBrowser(t)
	t.Logf("chromium started in %v", time.Since(started).Round(time.Millisecond))
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, func(t *testing.T) { b.t = t; f(t) }) {
			t.FailNow()
		}
	}

	step("sign in on the provider's form", func(t *testing.T) {
		if status := b.open(e.base + "/"); status != http.StatusOK || b.text("#signed-out") != "Not signed in" {
			t.Fatalf("home: got %d %q", status, b.text("h1"))
		}
		if status := b.signIn("#login", provider.Alice); status != http.StatusOK || b.text("#who") != "Alice Example" {
			t.Fatalf("after sign-in: got %d at %s: %q", status, b.url(), b.text("h1"))
		}
		if got := b.url(); got != e.base+"/" {
			t.Errorf("landed on %s, want %s/", got, e.base)
		}
		arrived := e.arrived.last(t)
		if arrived.method != http.MethodGet || arrived.fetchSite != "cross-site" || !arrived.cookie {
			t.Errorf("callback arrived as %+v; want a cross-site GET with the SameSite=Lax cookie", arrived)
		}
		c := b.session()
		if c == nil || !c.HTTPOnly || !c.Secure || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
			t.Fatalf("session cookie %+v: want HttpOnly, Secure, SameSite=Lax, Path=/", c)
		}
		if size := len(c.Name) + len(c.Value); b.text("#size") != strconv.Itoa(size) {
			t.Errorf("the page shows a %s-byte session, the browser holds %d bytes", b.text("#size"), size)
		}
	})

	step("the access token is refreshed after it expires", func(t *testing.T) {
		b.poll(tm.every+tm.accessTTL, func() bool { return b.text("#refreshes") == "1" })
		if b.text("#who") != "Alice Example" {
			t.Errorf("after the refresh: %q, want Alice still signed in", b.text("h1"))
		}
	})

	step("revoked at the provider: signed out within RevalidateEvery", func(t *testing.T) {
		if err := e.provider.RevokeGrants(provider.Alice.Username); err != nil {
			t.Fatal(err)
		}
		revoked := time.Now()
		out := b.poll(tm.every+3*time.Second, func() bool { return b.text("#signed-out") == "Not signed in" })
		delay := out.Sub(revoked)
		// The revocation follows a check at once, so this is the longest
		// delay: RevalidateEvery, and the time the reloads take to see it.
		t.Logf("revocation delay: signed out %v after the provider revoked the grant (RevalidateEvery %v)", delay.Round(time.Millisecond), tm.every)
		if delay > tm.every+time.Second {
			t.Errorf("signed out %v after the revocation, want within RevalidateEvery (%v) and a second of slack", delay, tm.every)
		}
		if c := b.session(); c != nil {
			t.Errorf("the browser still holds %s", c.Name)
		}
	})

	step("log out ends the session at the provider and empties the jar", func(t *testing.T) {
		if status := b.signIn("#login", provider.Alice); status != http.StatusOK || b.text("#who") != "Alice Example" {
			t.Fatalf("sign-in again: got %d: %q", status, b.text("h1"))
		}
		if status := b.click("#logout"); status != http.StatusOK || b.url() != e.base+"/signed-out" || b.text("#signed-out") != "Signed out" {
			t.Fatalf("after logout: got %d at %s: %q", status, b.url(), b.text("h1"))
		}
		if c := b.cookies(); len(c) != 0 {
			t.Errorf("the browser holds %d cookies after logout, want none: %v", len(c), names(c))
		}
	})

	step("response_mode=form_post fails the state check: the Lax cookie stays home", func(t *testing.T) {
		b.open(e.base + "/")
		// The provider answers with a page that posts the code to the
		// callback by itself: wait for the page that post leads to.
		b.signIn("#login-form-post", provider.Alice)
		b.do(chromedp.WaitVisible(chromedp.CSS("#error")))
		if b.url() != e.base+"/callback" || b.text("#error") != "No sign-in in progress" || !strings.Contains(b.text("#detail"), "SameSite=Lax") {
			t.Fatalf("after the form_post sign-in: at %s: %q %q", b.url(), b.text("h1"), b.text("#detail"))
		}
		arrived := e.arrived.last(t)
		if arrived.method != http.MethodPost || arrived.fetchSite != "cross-site" || arrived.cookie || arrived.status != http.StatusBadRequest {
			t.Errorf("callback arrived as %+v; want a cross-site POST without the cookie, answered 400", arrived)
		}
		if c := b.session(); c == nil {
			t.Errorf("the browser lost the session that holds the sign-in in progress")
		}
		t.Logf("form_post: %s", b.text("#detail"))
	})

	step("a user in 150 groups signs in with two cookies; logging out deletes both", func(t *testing.T) {
		b.open(e.base + "/")
		if status := b.signIn("#login", provider.Bob); status != http.StatusOK || b.text("#who") != "Bob Example" {
			t.Fatalf("Bob's sign-in: got %d at %s: %q", status, b.url(), b.text("h1"))
		}
		cs := b.cookies()
		slices.SortFunc(cs, func(x, y *network.Cookie) int { return strings.Compare(x.Name, y.Name) })
		size := 0
		for _, c := range cs {
			size += len(c.Name) + len(c.Value)
			if !c.HTTPOnly || !c.Secure || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
				t.Errorf("%s: want HttpOnly, Secure, SameSite=Lax, Path=/: %+v", c.Name, c)
			}
		}
		if got, want := names(cs), []string{oidcapp.CookieName + " for 127.0.0.1", oidcapp.CookieName + ".1 for 127.0.0.1"}; !slices.Equal(got, want) {
			t.Fatalf("the browser holds %q, want %q", got, want)
		}
		if b.text("#size") != strconv.Itoa(size) || b.text("#cookies") != "2" || b.text("#groups") != "150" {
			t.Errorf("the page shows %s bytes in %s cookies and %s groups; the browser holds %d bytes in 2 cookies, want 150 groups",
				b.text("#size"), b.text("#cookies"), b.text("#groups"), size)
		}
		t.Logf("Bob: a session of %d bytes in %d cookies", size, len(cs))
		if status := b.click("#logout"); status != http.StatusOK || b.text("#signed-out") != "Signed out" {
			t.Fatalf("after logout: got %d at %s: %q", status, b.url(), b.text("h1"))
		}
		if c := b.cookies(); len(c) != 0 {
			t.Errorf("the browser holds %d cookies after logout, want none: %v", len(c), names(c))
		}
	})
}

func names(cs []*network.Cookie) []string {
	var n []string
	for _, c := range cs {
		n = append(n, c.Name+" for "+c.Domain)
	}
	return n
}
