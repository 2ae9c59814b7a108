package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// TestInspectChunkVectors gives inspect, as a Cookie line, the invalid test
// vectors that are a request's cookies, and checks that it reports what
// KeyRing.InspectChunks does for the chunks it reads: every one the line
// carries. A line with a chunk twice, with different values, inspect
// refuses as input.
func TestInspectChunkVectors(t *testing.T) {
	tried, twice := 0, 0
	for _, g := range readVectors(t).Invalid {
		for _, v := range g.Vectors {
			if v.Cookies == nil {
				continue
			}
			t.Run(string(g.Reason)+"/"+v.Name, func(t *testing.T) {
				values := []string{""}
				seen := map[string]string{}
				pairs := make([]string, len(v.Cookies))
				repeated := false
				for i, c := range v.Cookies {
					pairs[i] = c.Name + "=" + c.Value
					if old, ok := seen[c.Name]; ok && old != c.Value {
						repeated = true
					}
					seen[c.Name] = c.Value
					n := chunkNumber(v.Cookie, c.Name)
					if n < 0 {
						continue
					}
					for len(values) <= n {
						values = append(values, "")
					}
					if values[n] == "" {
						values[n] = c.Value
					}
				}
				env := []string{"SESSION_KEYS=" + strings.Join(v.Keys, ",")}
				args := []string{"-name", v.Cookie, "-at", time.Unix(v.Now, 0).Format(time.RFC3339), "Cookie: " + strings.Join(pairs, "; ")}
				if repeated {
					twice++
					r := run(t, env, "", append([]string{"inspect"}, args...)...)
					if r.code == 0 || !strings.Contains(r.stderr, "twice, with different values") {
						t.Fatalf("a chunk twice: got exit %d, %q; want the input refused", r.code, r.stderr)
					}
					return
				}
				tried++
				keys, err := cookiesession.ParseKeyRing(strings.Join(v.Keys, ","))
				if err != nil {
					t.Fatal(err)
				}
				_, want := keys.InspectChunks(v.Cookie, values, time.Unix(v.Now, 0))
				wantReason := ""
				if inv := invalid(want); inv != nil {
					wantReason = string(inv.Reason)
				}
				ds, r := inspectJSON(t, env, "", args...)
				if len(ds) != 1 || ds[0].Reason != wantReason {
					t.Fatalf("got %+v, want one object with reason %q", ds, wantReason)
				}
				if want == nil {
					wantExit(t, r, 0)
				} else {
					wantExit(t, r, 1)
				}
			})
		}
	}
	if tried == 0 || twice == 0 {
		t.Errorf("vectors given as cookies: %d opened, %d with a chunk twice; want some of each", tried, twice)
	}
}

// chunkNumber returns the index of the cookie called name among the chunks
// of the session in cookie: 0 for cookie itself, i for cookie.i, and -1
// for any other name.
func chunkNumber(cookie, name string) int {
	if name == cookie {
		return 0
	}
	n, ok := strings.CutPrefix(name, cookie+".")
	i, err := strconv.Atoi(n)
	if !ok || err != nil || i < 1 || strconv.Itoa(i) != n {
		return -1
	}
	return i
}
