package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/internal/testenv"
)

// curlJar is curl driven as a command-line client that keeps its cookies
// in a jar file, as `curl -b jar -c jar` does.
type curlJar struct {
	path, jar string
}

// get fetches url with the jar and returns the body.
func (c curlJar) get(t *testing.T, url string) string {
	t.Helper()
	out, err := exec.Command(c.path, "-sS", "-b", c.jar, "-c", c.jar, url).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %s: %v: %s", url, err, out)
	}
	return string(out)
}

// sessionLab serves m: ?n= stores a blob of n bytes, ?other= sets a cookie
// of the site's own, of that many bytes of name and value; every answer is
// the length of the blob the session holds and, after a space, the size of
// the other cookie the request carried (0 for none).
func sessionLab(t *testing.T, m *cookiesession.Manager) *httptest.Server {
	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Get(r)
		q := r.URL.Query()
		if q.Has("n") {
			n, _ := strconv.Atoi(q.Get("n"))
			if err := s.Set("blob", strings.Repeat("b", n)); err != nil {
				http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
				return
			}
		}
		if q.Has("other") {
			n, _ := strconv.Atoi(q.Get("other"))
			http.SetCookie(w, &http.Cookie{Name: "other", Value: strings.Repeat("o", n-len("other")), Path: "/"})
		}
		var blob string
		s.Get("blob", &blob)
		other := 0
		if c, err := r.Cookie("other"); err == nil {
			other = len(c.Name) + len(c.Value)
		}
		fmt.Fprint(w, len(blob), " ", other)
	})))
	t.Cleanup(srv.Close)
	return srv
}

// largest returns the longest blob m's sessions hold, and the size of the
// session's cookies then.
func largest(m *cookiesession.Manager) (n, size int) {
	for lo, hi := 0, 20000; lo <= hi; {
		mid := (lo + hi) / 2
		s := m.Load(httptest.NewRequest("GET", "/", nil))
		if s.Set("blob", strings.Repeat("b", mid)) == nil {
			n, size, lo = mid, s.Size(), mid+1
		} else {
			hi = mid - 1
		}
	}
	return n, size
}

// TestCurlCookieHeaderLimit measures what curl with a cookie jar sends of
// a session split over two cookies. curl leaves out of its Cookie header
// the cookies that would take it past about 8 KB: the largest session of
// the default MaxSize (6144 bytes) goes whole, beside less than 2 KB of
// the site's other cookies, and a session of two full cookies does not
// open, whatever the server allows.
func TestCurlCookieHeaderLimit(t *testing.T) {
	path := testenv.Command(t, "curl", "sudo apt-get install -y curl")
	v, _ := exec.Command(path, "--version").Output()
	t.Logf("%s", strings.SplitN(string(v), "\n", 2)[0])

	m, err := cookiesession.New(cookiesession.InsecureDevelopmentKeyRing(), cookiesession.Config{MaxCookies: 3})
	if err != nil {
		t.Fatal(err)
	}
	lab := sessionLab(t, m)
	n, size := largest(m)
	jar := func() curlJar { return curlJar{path, filepath.Join(t.TempDir(), "jar")} }

	c := jar()
	whole := fmt.Sprint(n, " 0")
	if got := c.get(t, lab.URL+"/?n="+strconv.Itoa(n)); got != whole {
		t.Fatalf("writing the largest session: %q", got)
	}
	if got := c.get(t, lab.URL+"/"); got != whole {
		t.Fatalf("the largest session of the default MaxSize: curl's next request reads %q, want %q", got, whole)
	}

	// The most of other cookies beside it: bisect the size of one.
	room := 0
	for lo, hi := 10, cookiesession.MaxCookieSize; lo <= hi; {
		mid := (lo + hi) / 2
		c := jar()
		c.get(t, lab.URL+"/?other="+strconv.Itoa(mid)+"&n="+strconv.Itoa(n))
		if c.get(t, lab.URL+"/") == fmt.Sprint(n, " ", mid) {
			room, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	t.Logf("beside the largest default session (%d bytes in 2 cookies), curl sends another cookie of %d bytes: a Cookie header of %d bytes", size, room, size+2+2+room)
	if room < 1900 || room >= 2048 {
		t.Errorf("room for other cookies beside the largest default session: %d bytes, want 1900 to 2047", room)
	}

	// Two full cookies: a MaxSize of 8192 lets the write through, and
	// curl's next request leaves one of them out.
	full, err := cookiesession.New(cookiesession.InsecureDevelopmentKeyRing(), cookiesession.Config{MaxCookies: 2, MaxSize: 2 * cookiesession.MaxCookieSize})
	if err != nil {
		t.Fatal(err)
	}
	lab = sessionLab(t, full)
	c = jar()
	n, size = largest(full)
	t.Logf("a session of %d bytes in two cookies", size)
	if got := c.get(t, lab.URL+"/?n="+strconv.Itoa(n)); got != fmt.Sprint(n, " 0") {
		t.Fatalf("writing a session of two full cookies: %q", got)
	}
	if got := c.get(t, lab.URL+"/"); got != "0 0" {
		t.Errorf("a session of two full cookies: curl's next request reads %q, want a new session, 0 0", got)
	}
}
