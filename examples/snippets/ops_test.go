package snippets

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// TestOperators checks the README's "Counters" recipe: the operators'
// handler serves expvar's variables, the sessions' counters among them,
// and the application's handler does not; http.DefaultServeMux, where
// importing expvar registered /debug/vars, would serve them to anyone.
func TestOperators(t *testing.T) {
	m := useSessions(t, testKeys(t))
	ops := httptest.NewServer(operators(m))
	t.Cleanup(ops.Close)
	app := httptest.NewServer(m.Handler(counter(m.Get)))
	t.Cleanup(app.Close)
	defaultMux := httptest.NewServer(nil) // what http.ListenAndServe(addr, nil) serves
	t.Cleanup(defaultMux.Close)

	res, err := app.Client().Post(app.URL+"/count", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	get := func(srv *httptest.Server, path string) (int, string) {
		t.Helper()
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, string(b)
	}
	issued := func(body string) uint64 {
		t.Helper()
		var vars struct{ Sessions cookiesession.Stats }
		if err := json.Unmarshal([]byte(body), &vars); err != nil {
			t.Fatalf("%v in %.200s", err, body)
		}
		return vars.Sessions.Issued
	}

	if code, body := get(ops, "/debug/vars"); code != http.StatusOK || issued(body) != 1 {
		t.Errorf("operators' /debug/vars: got %d, %d sessions issued; want 200 and 1", code, issued(body))
	}
	if code, body := get(ops, "/debug/sessions"); code != http.StatusOK || issued(`{"sessions": `+body+`}`) != 1 {
		t.Errorf("operators' /debug/sessions: got %d %.200s, want 200 and 1 session issued", code, body)
	}
	if code, _ := get(app, "/debug/vars"); code != http.StatusNotFound {
		t.Errorf("application's /debug/vars: got %d, want 404", code)
	}
	if code, body := get(defaultMux, "/debug/vars"); code != http.StatusOK || issued(body) != 1 {
		t.Errorf("http.DefaultServeMux's /debug/vars: got %d, want 200 with the sessions' counters", code)
	}
}
