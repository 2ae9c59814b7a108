package replica

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
)

func newRing(t *testing.T) *cookiesession.KeyRing {
	t.Helper()
	keys, err := cookiesession.ParseKeyRing(base64.StdEncoding.EncodeToString(cookiesession.GenerateKey()))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestSessionRoutes(t *testing.T) {
	keys := newRing(t)
	srv, err := New("r7", keys)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(srv)
	defer ts.Close()
	c := ts.Client()
	c.Jar, _ = cookiejar.New(nil)

	call := func(method, path string, form url.Values) (State, int) {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st State
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		if got := resp.Header.Get("X-Replica"); got != "r7" {
			t.Errorf("%s %s: got X-Replica %q, want r7", method, path, got)
		}
		return st, resp.StatusCode
	}

	if _, code := call("GET", "/counter", nil); code != http.StatusUnauthorized {
		t.Errorf("read before login: got %d, want 401", code)
	}
	if _, code := call("POST", "/login", nil); code != http.StatusBadRequest {
		t.Errorf("login without a user: got %d, want 400", code)
	}
	st, code := call("POST", "/login", url.Values{"user": {"alice"}})
	if code != http.StatusOK || st.User != "alice" || st.Count != 0 || st.Session == "" || st.Primary != keys.PrimaryID() {
		t.Fatalf("login: got %d %+v, want 200 for alice at 0 with a session", code, st)
	}
	session := st.Session
	if u, _ := url.Parse(ts.URL); len(c.Jar.Cookies(u)) != 1 || c.Jar.Cookies(u)[0].Name != CookieName {
		t.Errorf("login: got cookies %v, want one %s", c.Jar.Cookies(u), CookieName)
	}
	for want := 1; want <= 3; want++ {
		if st, code = call("POST", "/counter", nil); code != http.StatusOK || st.Count != want {
			t.Fatalf("increment: got %d, count %d; want 200, %d", code, st.Count, want)
		}
	}
	st, code = call("GET", "/counter", nil)
	if code != http.StatusOK || st.Count != 3 || st.Session != session || st.OpenedBy != keys.PrimaryID() || st.Replica != "r7" {
		t.Errorf("read: got %d %+v, want 200, count 3, session %s opened by %s", code, st, session, keys.PrimaryID())
	}
	if _, code = call("POST", "/logout", nil); code != http.StatusOK {
		t.Errorf("logout: got %d, want 200", code)
	}
	if _, code = call("GET", "/counter", nil); code != http.StatusUnauthorized {
		t.Errorf("read after logout: got %d, want 401", code)
	}
}

func TestHealth(t *testing.T) {
	keys := newRing(t)
	srv, err := New("r1", keys)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	var h Health
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK || h.Replica != "r1" || len(h.Ring) != 1 || h.Ring[0] != keys.PrimaryID() {
		t.Errorf("got %d %+v, want 200 for r1 with ring [%s]", rec.Code, h, keys.PrimaryID())
	}
}
