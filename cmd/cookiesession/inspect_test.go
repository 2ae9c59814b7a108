package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

const cookieName = "__Host-session"

// serve runs one request with the header reqHeader through a Manager's
// middleware, which calls use, and returns the response's header.
func serve(t *testing.T, keys *cookiesession.KeyRing, cfg cookiesession.Config, reqHeader http.Header, use func(*cookiesession.Session) error) http.Header {
	t.Helper()
	m, err := cookiesession.New(keys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := use(m.Get(r)); err != nil {
			t.Error(err)
		}
	}))
	req := httptest.NewRequest("GET", "https://example.test/", nil)
	req.Header = reqHeader
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result().Header
}

// mint serves a request with the Cookie header cookie, if not empty, and
// returns the response's Set-Cookie line.
func mint(t *testing.T, keys *cookiesession.KeyRing, cfg cookiesession.Config, cookie string, use func(*cookiesession.Session) error) string {
	t.Helper()
	h := http.Header{}
	if cookie != "" {
		h.Set("Cookie", cookie)
	}
	lines := serve(t, keys, cfg, h, use).Values("Set-Cookie")
	if len(lines) != 1 {
		t.Fatalf("got Set-Cookie %q, want one line", lines)
	}
	return "Set-Cookie: " + lines[0]
}

type item struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

// login fills a session as a sign-in handler does.
func login(s *cookiesession.Session) error {
	s.Regenerate()
	s.SetPersistent(false)
	if err := s.Set("user", "alice"); err != nil {
		return err
	}
	if err := s.Set("cart", []item{{"A-1", 2}}); err != nil {
		return err
	}
	return s.Flash("info", "Welcome back")
}

// cookieValue returns the value in a Set-Cookie line.
func cookieValue(t *testing.T, setCookie string) string {
	t.Helper()
	c, err := http.ParseSetCookie(strings.TrimPrefix(setCookie, "Set-Cookie: "))
	if err != nil {
		t.Fatal(err)
	}
	return c.Value
}

// decoded is one object that inspect -json printed.
type decoded struct {
	origin
	failure
	Contents *cookiesession.Contents // nil if the object has no session_id
}

// inspectJSON runs inspect -json and decodes its objects.
func inspectJSON(t *testing.T, env []string, stdin string, args ...string) ([]decoded, result) {
	t.Helper()
	r := run(t, env, stdin, append([]string{"inspect", "-json"}, args...)...)
	var ds []decoded
	for l := range strings.Lines(r.stdout) {
		var d decoded
		var fields map[string]json.RawMessage
		for _, dst := range []any{&d.origin, &d.failure, &fields} {
			if err := json.Unmarshal([]byte(l), dst); err != nil {
				t.Fatalf("decoding %q: %v", l, err)
			}
		}
		if _, ok := fields["session_id"]; ok {
			d.Contents = new(cookiesession.Contents)
			if err := json.Unmarshal([]byte(l), d.Contents); err != nil {
				t.Fatalf("decoding %q: %v", l, err)
			}
		}
		ds = append(ds, d)
	}
	return ds, r
}

// viaJSON returns what KeyRing.Inspect gives for value, through JSON, as
// inspect -json's contents are.
func viaJSON(t *testing.T, keys *cookiesession.KeyRing, value string) *cookiesession.Contents {
	t.Helper()
	ct, err := keys.Inspect(cookieName, value, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ct)
	if err != nil {
		t.Fatal(err)
	}
	var out cookiesession.Contents
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestInspectForms(t *testing.T) {
	ring := newRing(t, 1)
	setCookie := mint(t, ring.keys, cookiesession.Config{}, "", login)
	value := cookieValue(t, setCookie)
	want := viaJSON(t, ring.keys, value)
	response := "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\n" + setCookie + "\r\nVary: Cookie\r\n\r\nvisits: 1\r\n"
	tests := []struct {
		name, from string
		stdin      string
		args       []string
	}{
		{"bare value", fromValue, "", []string{value}},
		{"name=value", fromCookie, "", []string{cookieName + "=" + value}},
		{"Cookie line", fromCookie, "", []string{"Cookie: theme=dark; " + cookieName + "=" + value}},
		{"Set-Cookie line", fromSetCookie, "", []string{setCookie}},
		{"stdin", fromValue, " " + value + "\r\n", nil},
		{"stdin as -", fromCookie, "Cookie: " + cookieName + "=" + value + "\r\n", []string{"-"}},
		{"curl -i on stdin", fromSetCookie, response, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reps, r := inspectJSON(t, ring.env(), tc.stdin, tc.args...)
			wantExit(t, r, 0)
			if len(reps) != 1 {
				t.Fatalf("got %d objects, want 1\n%v", len(reps), r)
			}
			got := reps[0]
			if got.From != tc.from || got.Cookie != cookieName || got.Error != "" {
				t.Errorf("got from %q, cookie %q, error %q; want %q, %q, none", got.From, got.Cookie, got.Error, tc.from, cookieName)
			}
			if !reflect.DeepEqual(got.Contents, want) {
				t.Errorf("got contents %+v, want %+v", got.Contents, want)
			}
		})
	}
}

func TestInspectHuman(t *testing.T) {
	ring := newRing(t, 1)
	value := cookieValue(t, mint(t, ring.keys, cookiesession.Config{}, "", login))
	at := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	r := run(t, ring.env(), "", "inspect", "-at", at.Format(time.RFC3339), value)
	wantExit(t, r, 0)
	ct, err := ring.keys.Inspect(cookieName, value, at)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"cookie:      __Host-session, from a value\nstatus:      valid\n",
		"key:         " + ring.ids()[0] + ", primary\n",
		"issued:      " + ct.IssuedAt.UTC().Format(time.RFC3339) + " (2h ago)\n",
		"expires:     " + ct.ExpiresAt.UTC().Format(time.RFC3339) + " (in 22h)\n",
		"session ID:  " + ct.SessionID + "\n",
		"persistent:  no (a browser-session cookie)\n",
		"entries:     2\n  cart = [{\"sku\":\"A-1\",\"qty\":2}]\n  user = \"alice\"\n",
		"flashes:     1\n  info: \"Welcome back\"\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("got:\n%s\nwant it to hold %q", r.stdout, want)
		}
	}
}

func TestInspectNotPrimary(t *testing.T) {
	old := newRing(t, 1)
	value := cookieValue(t, mint(t, old.keys, cookiesession.Config{}, "", login))
	ring := newRing(t, 1)
	env := []string{"SESSION_KEYS=" + ring.value + "," + old.value}
	r := run(t, env, "", "inspect", value)
	wantExit(t, r, 0)
	if want := "key:         " + old.ids()[0] + ", not primary (will be re-sealed on its next use)\n"; !strings.Contains(r.stdout, want) {
		t.Errorf("got:\n%s\nwant it to hold %q", r.stdout, want)
	}
}

func TestInspectDeletion(t *testing.T) {
	ring := newRing(t, 1)
	value := cookieValue(t, mint(t, ring.keys, cookiesession.Config{}, "", login))
	deletion := mint(t, ring.keys, cookiesession.Config{}, cookieName+"="+value, func(s *cookiesession.Session) error {
		s.Destroy()
		return nil
	})
	r := run(t, ring.env(), "", "inspect", deletion)
	wantExit(t, r, 0)
	if want := "action:      the Set-Cookie line deletes the cookie\n"; !strings.Contains(r.stdout, want) {
		t.Errorf("got:\n%s\nwant it to hold %q", r.stdout, want)
	}
	reps, _ := inspectJSON(t, ring.env(), "", deletion)
	if len(reps) != 1 || !reps[0].Deletes || reps[0].Contents != nil {
		t.Errorf("got %+v, want one object with deletes set and no contents", reps)
	}
}

func TestInspectSeveralCookies(t *testing.T) {
	ring := newRing(t, 1)
	good := cookieValue(t, mint(t, ring.keys, cookiesession.Config{}, "", login))
	stale := cookieValue(t, mint(t, newRing(t, 1).keys, cookiesession.Config{}, "", login))
	header := "Cookie: " + cookieName + "=" + good + "; " + cookieName + "=" + stale
	reps, r := inspectJSON(t, ring.env(), "", header)
	wantExit(t, r, 1)
	if len(reps) != 2 || reps[0].Error != "" || reps[1].Reason != string(cookiesession.ReasonUnknownKey) {
		t.Fatalf("got %+v, want the first cookie opened and the second of an unknown key", reps)
	}
	r = run(t, ring.env(), "", "inspect", header)
	wantExit(t, r, 1)
	if !strings.HasPrefix(r.stderr, "cookiesession: value 2 of 2: invalid cookie: unknown key") {
		t.Errorf("got standard error %q, want it to name value 2 of 2", r.stderr)
	}
	if n := strings.Count(r.stdout, "cookie:      "); n != 2 {
		t.Errorf("got %d blocks, want 2:\n%s", n, r.stdout)
	}
}

func TestInspectNoCookie(t *testing.T) {
	ring := newRing(t, 1)
	for _, tc := range []struct{ name, input, wantErr string }{
		{"other cookies", "Cookie: a=b", "cookiesession: no cookie named __Host-session in the input, which has a; choose one with -name\n"},
		{"nothing", "\r\n", "cookiesession: no cookie given\n"},
		{"over a MiB", strings.Repeat("a", maxInput+1), "cookiesession: standard input holds more than 1048576 bytes\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, ring.env(), tc.input, "inspect")
			wantExit(t, r, 1)
			if r.stderr != tc.wantErr {
				t.Errorf("got standard error %q, want %q", r.stderr, tc.wantErr)
			}
		})
	}
}

func TestInspectBadRing(t *testing.T) {
	value := cookieValue(t, mint(t, newRing(t, 1).keys, cookiesession.Config{}, "", login))
	for _, b := range badRings(t) {
		t.Run(b.name, func(t *testing.T) {
			wantRingError(t, run(t, b.env, "", "inspect", value), b)
		})
	}
}

func TestInspectBadTime(t *testing.T) {
	r := run(t, newRing(t, 1).env(), "", "inspect", "-at", "tomorrow", "x")
	wantExit(t, r, 2)
	if !strings.HasPrefix(r.stderr, `cookiesession inspect: invalid value "tomorrow" for flag -at`) {
		t.Errorf("got standard error %q, want the flag's error", r.stderr)
	}
}

const tokenHeader = "Session-Token"

// mintToken serves a request of a client that carries its session in the
// token header, with the token token, and returns the response's header.
func mintToken(t *testing.T, keys *cookiesession.KeyRing, token string, use func(*cookiesession.Session) error) http.Header {
	t.Helper()
	h := serve(t, keys, cookiesession.Config{TokenHeader: tokenHeader}, http.Header{tokenHeader: {token}}, use)
	if _, ok := h[tokenHeader]; !ok {
		t.Fatalf("got header %v, want a %s", h, tokenHeader)
	}
	return h
}

func TestInspectToken(t *testing.T) {
	ring := newRing(t, 1)
	header := mintToken(t, ring.keys, "", login)
	token := header.Get(tokenHeader)
	var response strings.Builder
	response.WriteString("HTTP/1.1 200 OK\r\n")
	header.Write(&response)
	tests := []struct {
		name, from string
		stdin      string
		args       []string
	}{
		{"header line", fromToken, "", []string{tokenHeader + ": " + token}},
		{"bare token", fromValue, "", []string{token}},
		{"response with -header", fromToken, response.String(), []string{"-header", tokenHeader}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, r := inspectJSON(t, ring.env(), tc.stdin, tc.args...)
			wantExit(t, r, 0)
			if len(ds) != 1 || ds[0].Contents == nil || ds[0].Contents.Transport != "token" || ds[0].From != tc.from {
				t.Fatalf("got %+v, want the contents of a token, from %s", ds, tc.from)
			}
			if !reflect.DeepEqual(ds[0].Contents.Values, viaJSON(t, ring.keys, token).Values) {
				t.Errorf("got values %s, want the session's", ds[0].Contents.Values)
			}
		})
	}
	r := run(t, ring.env(), "", "inspect", tokenHeader+": "+token)
	if want := "cookie:      __Host-session, from a Session-Token header\nstatus:      valid\nformat:      v2, a token\n"; !strings.HasPrefix(r.stdout, want) {
		t.Errorf("got:\n%s\nwant it to start %q", r.stdout, want)
	}
	ended := mintToken(t, ring.keys, token, func(s *cookiesession.Session) error {
		s.Destroy()
		return nil
	})
	r = run(t, ring.env(), "", "inspect", tokenHeader+": "+ended.Get(tokenHeader))
	wantExit(t, r, 0)
	if want := "action:      the header is empty: the session ended and the client discards its token\n"; !strings.Contains(r.stdout, want) {
		t.Errorf("got:\n%s\nwant it to hold %q", r.stdout, want)
	}
}
