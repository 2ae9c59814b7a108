package gorilla_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/gorilla/after"
	"github.com/cookiesession/cookiesession/examples/gorilla/before"
)

// deployment is a TLS server whose application can be replaced, as a
// deploy replaces it, and a browser-like client of it: a cookie jar, and
// no following of redirects, so that a flash waits for the next request.
type deployment struct {
	app    atomic.Pointer[http.Handler]
	client *http.Client
	url    *url.URL // of the server: the jar keeps cookies by host, whatever the port
}

func deploy(t *testing.T, app http.Handler) *deployment {
	t.Helper()
	d := &deployment{}
	d.app.Store(&app)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*d.app.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	d.browse(t, srv.Client(), srv.URL)
	return d
}

// browse makes d's client client with a cookie jar, and no following of
// redirects, and points it at base.
func (d *deployment) browse(t *testing.T, client *http.Client, base string) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	d.client = client
	d.client.Jar = jar
	d.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	d.at(t, base)
}

// at points d at the server at base.
func (d *deployment) at(t *testing.T, base string) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	d.url = u
}

// replace puts app in place of the running one.
func (d *deployment) replace(app http.Handler) { d.app.Store(&app) }

// do sends a request, a POST of form if form is not nil, and returns the
// response's body, failing unless its status is want.
func (d *deployment) do(t *testing.T, path string, form url.Values, want int) string {
	t.Helper()
	var resp *http.Response
	var err error
	if form == nil {
		resp, err = d.client.Get(d.url.String() + path)
	} else {
		resp, err = d.client.PostForm(d.url.String()+path, form)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("%s: got status %d, want %d: %s", path, resp.StatusCode, want, body)
	}
	return string(body)
}

// cookies returns the names of the cookies the client keeps.
func (d *deployment) cookies() []string {
	var names []string
	for _, c := range d.client.Jar.Cookies(d.url) {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	return names
}

// home fetches the home page and checks what it shows.
func (d *deployment) home(t *testing.T, user string, visits string, flash string) {
	t.Helper()
	page := d.do(t, "/", nil, http.StatusOK)
	signedIn := regexp.MustCompile(`Signed in as <b>(\w*)</b>`).FindStringSubmatch(page)
	if (user == "") != (signedIn == nil) || signedIn != nil && signedIn[1] != user {
		t.Errorf("got page\n%s\nwant user %q", page, user)
	}
	if !strings.Contains(page, "<p>Visits: "+visits+"</p>") {
		t.Errorf("got page\n%s\nwant %s visits", page, visits)
	}
	flashes := regexp.MustCompile(`<p class="flash">([^<]*)</p>`).FindAllStringSubmatch(page, -1)
	if (flash == "") != (len(flashes) == 0) || len(flashes) > 1 || flash != "" && flashes[0][1] != flash {
		t.Errorf("got page\n%s\nwant flash %q", page, flash)
	}
}

// TestSwitchKeepsUsersSignedIn signs in on the application on
// gorilla/sessions, deploys the same application on cookiesession, and
// finds the user still signed in, with the visit count and the flash
// that were waiting, and the old cookie gone.
func TestSwitchKeepsUsersSignedIn(t *testing.T) {
	hashKey, blockKey := keys()
	d := deploy(t, before.New(hashKey, blockKey))
	d.home(t, "", "1", "")
	d.home(t, "", "2", "")
	d.do(t, "/login", url.Values{"name": {"alice"}}, http.StatusSeeOther)
	if got := d.cookies(); !slices.Equal(got, []string{"session"}) {
		t.Fatalf("on gorilla/sessions: got cookies %q, want [session]", got)
	}

	keys, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	app, err := after.New(keys, hashKey, blockKey, time.Now().Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	d.replace(app)
	d.home(t, "alice", "3", "Welcome, alice")
	if got := d.cookies(); !slices.Equal(got, []string{"__Host-session"}) {
		t.Errorf("on cookiesession: got cookies %q, want [__Host-session]", got)
	}
	d.home(t, "alice", "4", "")

	d.do(t, "/logout", url.Values{}, http.StatusSeeOther)
	d.home(t, "", "1", "")
	d.do(t, "/login", url.Values{"name": {"bob"}}, http.StatusSeeOther)
	d.home(t, "bob", "2", "Welcome, bob")
}

// TestREADMEDiff checks that the diff in README.md is that of the two
// versions of the application as they are.
func TestREADMEDiff(t *testing.T) {
	if _, err := exec.LookPath("diff"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("diff is missing: apt-get install diffutils")
		}
		t.Skip("diff is missing: apt-get install diffutils")
	}
	out, err := exec.Command("diff", "-u", "before/app.go", "after/app.go").Output()
	if len(out) == 0 {
		t.Fatalf("diff: %v", err)
	}
	_, hunks, _ := bytes.Cut(out, []byte("\n@@"))
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := "--- before/app.go\n+++ after/app.go\n@@" + string(hunks)
	if !strings.Contains(string(readme), "```diff\n"+want+"```\n") {
		t.Errorf("README.md lacks the diff of before/app.go and after/app.go; paste\n%s", want)
	}
}
