package snippets

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
)

const (
	spa  = "https://app.example.net"
	evil = "https://evil.example"
)

func testKeys(t *testing.T) *cookiesession.KeyRing {
	t.Helper()
	keys, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// useSessions makes the snippets' sessions a Manager of keys with the
// default configuration, for the duration of t.
func useSessions(t *testing.T, keys *cookiesession.KeyRing) *cookiesession.Manager {
	t.Helper()
	m, err := cookiesession.New(keys, cookiesession.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sessions = m
	t.Cleanup(func() { sessions = nil })
	return m
}

// counter is an API whose POST /count changes the session.
func counter(m func(*http.Request) *cookiesession.Session) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /count", func(w http.ResponseWriter, r *http.Request) {
		s := m(r)
		var n int
		s.Get("count", &n)
		if err := s.Set("count", n+1); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	return mux
}

// browserRequest is a request as a browser sends it from a page of origin
// to https://api.example.com.
func browserRequest(method, origin, cookie string, header ...string) *http.Request {
	req := httptest.NewRequest(method, "https://api.example.com/count", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if origin == "https://api.example.com" {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

func serve(h http.Handler, req *http.Request) *http.Response {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestCrossSiteAPI(t *testing.T) {
	m, err := newCrossSiteSessions(testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	h, err := crossSiteAPI(m, counter(m.Get))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("preflight from the app", func(t *testing.T) {
		res := serve(h, browserRequest("OPTIONS", spa, "", "Access-Control-Request-Method", "POST"))
		if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != spa ||
			res.Header.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "POST") {
			t.Errorf("got %d %v, want 204 allowing %s with credentials", res.StatusCode, res.Header, spa)
		}
	})
	t.Run("preflight from another site", func(t *testing.T) {
		res := serve(h, browserRequest("OPTIONS", evil, "", "Access-Control-Request-Method", "POST"))
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("got Access-Control-Allow-Origin %q, want none", got)
		}
	})

	res := serve(h, browserRequest("POST", spa, ""))
	cookie := res.Header.Get("Set-Cookie")
	if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != spa {
		t.Fatalf("POST from the app: got %d %v, want 200 readable by %s", res.StatusCode, res.Header, spa)
	}
	for _, attr := range []string{"; Secure", "; SameSite=None", "; Partitioned"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("Set-Cookie %q lacks %s", cookie, attr)
		}
	}
	cookie, _, _ = strings.Cut(cookie, ";")

	res = serve(h, browserRequest("POST", evil, cookie))
	if res.StatusCode != http.StatusForbidden || res.Header.Get("Set-Cookie") != "" || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("POST from another site: got %d %v, want 403, no cookie, no CORS", res.StatusCode, res.Header)
	}
	res = serve(h, browserRequest("POST", spa, cookie))
	if res.StatusCode != http.StatusOK || res.Header.Get("Set-Cookie") == "" {
		t.Errorf("second POST from the app: got %d %v, want 200 and a new cookie", res.StatusCode, res.Header)
	}
}

func TestSameSiteAPI(t *testing.T) {
	m := useSessions(t, testKeys(t))
	h := sameSiteAPI(counter(m.Get))
	if res := serve(h, browserRequest("POST", evil, "")); res.StatusCode != http.StatusForbidden || res.Header.Get("Set-Cookie") != "" {
		t.Errorf("POST from another site: got %d %v, want 403 and no cookie", res.StatusCode, res.Header)
	}
	if res := serve(h, browserRequest("POST", "https://api.example.com", "")); res.StatusCode != http.StatusOK || res.Header.Get("Set-Cookie") == "" {
		t.Errorf("POST from the API's own origin: got %d %v, want 200 and a cookie", res.StatusCode, res.Header)
	}
}
