package cookiesession_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// BenchmarkChunked writes and reads a session that fills 1, 2 or 3 cookies
// to the byte, through a Manager that allows three. Its value is the
// longest blob that fits in that many cookies, and the bytes per second
// count the blob, so the cost per byte of each count can be compared:
// benchstat -col /cookies.
func BenchmarkChunked(b *testing.B) {
	m := chunked(b, nil)
	for _, op := range []string{"write", "read"} {
		for n := 1; n <= 3; n++ {
			b.Run("op="+op+"/cookies="+strconv.Itoa(n), func(b *testing.B) {
				blob := strings.Repeat("b", largestBlob(mustNew(b, freshRing(b), cookiesession.Config{
					MaxCookies: n, MaxSize: n * cookiesession.MaxCookieSize,
				})))
				jar := mintChunks(b, blobApp(m), len(blob))
				if len(jar) != n {
					b.Fatalf("got %d cookies, want %d", len(jar), n)
				}
				req, empty := bareRequest(), bareRequest()
				for name, value := range jar {
					req.AddCookie(&http.Cookie{Name: name, Value: value})
				}
				w := &discardWriter{h: http.Header{}}
				b.SetBytes(int64(len(blob)))
				b.ReportAllocs()
				for b.Loop() {
					if op == "write" {
						clear(w.h)
						s := m.Load(empty)
						if err := s.Set("blob", blob); err != nil {
							b.Fatal(err)
						}
						m.Save(w, s)
					} else if ok, err := m.Load(req).Get("blob", new(string)); !ok || err != nil {
						b.Fatalf("blob: got %v, %v; want it read", ok, err)
					}
				}
				if got := len(w.h["Set-Cookie"]); op == "write" && got != n {
					b.Fatalf("got %d cookies set, want %d", got, n)
				}
			})
		}
	}
}
