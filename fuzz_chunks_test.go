package cookiesession_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// FuzzChunks sends a Manager that reads up to three cookies a Cookie header
// of the fuzzer's making, seeded with real sessions of one to three cookies
// and the ways they go wrong. Whatever the header: no panic and no error
// status; the response sets or deletes only the session's own cookies, and
// deletes only those the request carried; and a session that opened opens
// again, the same, from the cookies the response leaves.
func FuzzChunks(f *testing.F) {
	const name = "__Host-session"
	m := mustNew(f, freshRing(f), cookiesession.Config{MaxCookies: 3, MaxSize: 3 * cookiesession.MaxCookieSize})
	h := blobApp(m)
	for _, n := range []int{10, 4000, 8000} {
		c := mintChunks(f, h, n)
		var whole, swapped []string
		for _, k := range []string{name, name + ".1", name + ".2"} {
			if v, ok := c[k]; ok {
				whole = append(whole, k+"="+v)
			}
		}
		f.Add(strings.Join(whole, "; "))
		swapped = append(swapped, whole...)
		if len(swapped) > 2 {
			swapped[1], swapped[2] = name+".1="+c[name+".2"], name+".2="+c[name+".1"]
		}
		f.Add(strings.Join(swapped, "; "))
		f.Add(strings.Join(whole[:max(1, len(whole)-1)], "; "))
		f.Add(strings.Join(append(whole, name+".1=x", name+".01=y", name+".9=z"), "; "))
		f.Add(`"` + strings.Join(whole, `"; "`) + `"`)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if len(header) > 64<<10 {
			return // a header past what servers take; its cost is TestChunkedCookieFlood's
		}
		req := httptest.NewRequest("GET", "https://example.com/", nil)
		req.Header.Set("Cookie", header)
		resp := record(h, req)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d %q, want 200", resp.StatusCode, body)
		}
		carried := map[string]bool{}
		for part := range strings.SplitSeq(header, ";") {
			n, _, _ := strings.Cut(strings.TrimSpace(part), "=")
			carried[n] = true
		}
		set := map[string]string{} // by name; "" for a deletion
		for _, c := range setCookies(t, resp) {
			switch c.Name {
			case name, name + ".1", name + ".2":
			default:
				t.Fatalf("response sets %s, not a cookie of the session", c.Name)
			}
			set[c.Name] = c.Value
			if c.MaxAge < 0 {
				set[c.Name] = ""
				if !carried[c.Name] {
					t.Fatalf("response deletes %s, which the request did not carry", c.Name)
				}
			}
		}
		// The cookies as a browser would send them next: those the response
		// set in place of the request's of the same name, the others as
		// they came.
		var again []string
		for part := range strings.SplitSeq(header, ";") {
			n, _, _ := strings.Cut(strings.TrimSpace(part), "=")
			if _, ok := set[n]; !ok {
				again = append(again, part)
			}
		}
		for n, v := range set {
			if v != "" {
				again = append(again, n+"="+v)
			}
		}
		if strings.HasPrefix(body, "0 ") {
			return // a new session
		}
		req = httptest.NewRequest("GET", "https://example.com/", nil)
		req.Header.Set("Cookie", strings.Join(again, "; "))
		if got := readBody(t, record(h, req)); got != body {
			t.Fatalf("the session read %q, and from the cookies the response left %q", body, got)
		}
	})
}
