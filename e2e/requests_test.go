package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// A target is an app served on 127.0.0.1 for the cross-site tests, with a
// record of the requests it answered.
type target struct {
	name   string
	url    string // http://127.0.0.1:port
	home   string // a page of the app's own origin to make requests from
	cookie string // the session cookie's name
	rec    *recorder
	read   func(t *testing.T, b *browser, base string) state
	last   *state // what state read last
}

// state is what a test reads of a session through the browser.
type state struct {
	User  string `json:"user,omitempty"`
	Count int    `json:"count,omitempty"`
	Cart  string `json:"cart,omitempty"` // "SKU×qty " per line
}

func (s state) String() string {
	var parts []string
	if s.User != "" {
		parts = append(parts, "user "+s.User)
	}
	if s.Count != 0 {
		parts = append(parts, fmt.Sprintf("count %d", s.Count))
	}
	if s.Cart != "" {
		parts = append(parts, "cart "+strings.TrimSpace(s.Cart))
	}
	if len(parts) == 0 {
		return "empty"
	}
	return strings.Join(parts, ", ")
}

func newTarget(t *testing.T, name string, h http.Handler, cookie, home string, read func(*testing.T, *browser, string) state) *target {
	app := &target{name: name, home: home, cookie: cookie, rec: &recorder{cookie: cookie}, read: read}
	srv := httptest.NewServer(app.rec.wrap(h))
	t.Cleanup(srv.Close)
	app.url = srv.URL
	return app
}

// state reads the app's session through the browser.
func (app *target) state(t *testing.T, b *browser) state {
	t.Helper()
	s := app.read(t, b, app.url)
	app.last = &s
	return s
}

// lastState returns what state read last, or reads it.
func (app *target) lastState(t *testing.T, b *browser) state {
	t.Helper()
	if app.last != nil {
		return *app.last
	}
	return app.state(t, b)
}

// hit is what an app saw of one request, and how it answered.
type hit struct {
	method, path string
	fetchSite    string // the Sec-Fetch-Site header
	cookie       bool   // the session cookie came with the request
	status       int
	setCookie    bool // the answer set or deleted the cookie
}

func (h hit) String() string {
	s := fmt.Sprintf("%s %d", h.method, h.status)
	if h.fetchSite != "" {
		s += " (" + h.fetchSite + ")"
	}
	if h.cookie {
		s += ", cookie sent"
	} else {
		s += ", no cookie"
	}
	if h.setCookie {
		s += ", Set-Cookie"
	}
	return s
}

// recorder records the requests a handler answers. A request is recorded
// when its answer's header is written, before any of it leaves, so the
// record is complete by the time a browser has the answer.
type recorder struct {
	cookie string
	mu     sync.Mutex
	hits   []hit
}

func (rc *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := r.Cookie(rc.cookie)
		sw := &statusWriter{ResponseWriter: w, rc: rc, hit: hit{
			method: r.Method, path: r.URL.Path, fetchSite: r.Header.Get("Sec-Fetch-Site"), cookie: err == nil,
		}}
		h.ServeHTTP(sw, r)
		sw.record(http.StatusOK) // recorded already if anything was written
	})
}

func (rc *recorder) len() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.hits)
}

// since returns the requests for path recorded after the first n. With
// wait, it first waits up to 10 s for a POST among them.
func (rc *recorder) since(t *testing.T, n int, path string, wait bool) []hit {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		rc.mu.Lock()
		hits := slices.DeleteFunc(slices.Clone(rc.hits[n:]), func(h hit) bool { return h.path != path })
		rc.mu.Unlock()
		if !wait || slices.ContainsFunc(hits, func(h hit) bool { return h.method == "POST" }) {
			return hits
		}
		if time.Now().After(deadline) {
			t.Fatalf("no POST %s reached the app in 10s; it saw %v", path, hits)
		}
	}
}

type statusWriter struct {
	http.ResponseWriter
	rc   *recorder
	hit  hit
	done bool
}

// record records the answer, with status code, the first time it is
// called for a final status.
func (w *statusWriter) record(code int) {
	if !w.done && code >= 200 {
		w.done = true
		w.hit.status = code
		w.hit.setCookie = len(w.Header().Values("Set-Cookie")) > 0
		w.rc.mu.Lock()
		w.rc.hits = append(w.rc.hits, w.hit)
		w.rc.mu.Unlock()
	}
}

func (w *statusWriter) WriteHeader(code int) {
	w.record(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.record(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// A request is one state-changing request that a page makes: a form it
// submits, or a fetch. attackJS makes it.
type request struct {
	kind    string      // how the table names it
	path    string      // on the target app
	URL     string      `json:"url"`
	Form    bool        `json:"form"`
	Enctype string      `json:"enctype,omitempty"`
	Fields  [][2]string `json:"fields,omitempty"`
	Mode    string      `json:"mode,omitempty"`
	Type    string      `json:"type,omitempty"` // the fetch's Content-Type
	Body    string      `json:"body,omitempty"`
}

// formPOST is a form posted to path with name, value pairs, urlencoded.
func formPOST(path string, nameValues ...string) request {
	r := request{kind: "form POST " + path, path: path, Form: true, Enctype: "application/x-www-form-urlencoded"}
	for i := 0; i+1 < len(nameValues); i += 2 {
		r.Fields = append(r.Fields, [2]string{nameValues[i], nameValues[i+1]})
	}
	return r
}

// formText is a form posted to path as text/plain with one field, whose
// body is name=value: a way to send a body that parses as JSON.
func formText(path, name, value string) request {
	return request{kind: "form POST " + path + ", JSON as text/plain", path: path, Form: true, Enctype: "text/plain", Fields: [][2]string{{name, value}}}
}

// fetchNoCORS is a fetch with credentials whose answer the page cannot
// read: no preflight, so only a CORS-safelisted Content-Type.
func fetchNoCORS(path, body string) request {
	return request{kind: "fetch no-cors POST " + path, path: path, Mode: "no-cors", Type: "text/plain", Body: body}
}

// fetchJSON is a fetch with credentials of JSON: from another origin, the
// browser asks the app first with a preflight OPTIONS request.
func fetchJSON(path, body string) request {
	return request{kind: "fetch cors POST " + path + ", application/json", path: path, Mode: "cors", Type: "application/json", Body: body}
}

// attackJS is a function that makes, from the page it runs in, the
// request its argument describes, and says what the page saw.
const attackJS = `async (a) => {
	if (a.form) {
		const f = document.createElement("form");
		f.method = "POST";
		f.action = a.url;
		f.enctype = a.enctype;
		for (const [name, value] of a.fields || []) {
			const input = document.createElement("input");
			input.type = "hidden";
			input.name = name;
			input.value = value;
			f.append(input);
		}
		document.body.append(f);
		setTimeout(() => f.submit());
		return "form submitted";
	}
	try {
		const res = await fetch(a.url, {method: "POST", credentials: "include", mode: a.mode,
			headers: {"Content-Type": a.type}, body: a.body});
		return res.type === "opaque" ? "opaque answer" : "answer " + res.status;
	} catch (e) {
		return "fetch failed: " + e.message;
	}
}`
