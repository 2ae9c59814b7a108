package cookiesession_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/gorilla/securecookie"
)

// migrateBench is one request of BenchmarkMigrate, through a Manager that
// migrates or not.
type migrateBench struct {
	req, config string
	h           http.Handler
	r           *http.Request
}

// migrateBenches serves requests that read their session: a first visit
// with no session cookie of either kind (none), one with a cookie of ours
// (ours), and one with a legacy cookie (legacy), through a Manager that
// does not migrate (off), one that does (on), and one whose Until has
// passed (ended).
func migrateBenches(tb testing.TB) []migrateBench {
	ring, pairs := freshRing(tb), [][]byte{cookiesession.GenerateKey(), cookiesession.GenerateKey()}
	configs := []struct {
		name    string
		migrate *cookiesession.GorillaCookie
	}{
		{"off", nil},
		{"on", &cookiesession.GorillaCookie{Name: legacyName, KeyPairs: pairs, Until: time.Now().Add(time.Hour)}},
		{"ended", &cookiesession.GorillaCookie{Name: legacyName, KeyPairs: pairs, Until: time.Now().Add(-time.Hour)}},
	}
	ours := mintWith(tb, mustNew(tb, ring, cookiesession.Config{}), mediumSession)
	legacyValues := map[interface{}]interface{}{}
	for k, v := range mediumValues() {
		if s, ok := v.(string); ok {
			legacyValues[k] = s
		}
	}
	cookies := []struct{ name, line string }{
		{"none", "theme=dark; _ga=GA1.2.345678.901234"},
		{"ours", "theme=dark; __Host-session=" + ours},
		{"legacy", "theme=dark; " + mintLegacy(tb, legacyValues, securecookie.CodecsFromPairs(pairs...)...)},
	}
	var benches []migrateBench
	for _, c := range cookies {
		for _, cfg := range configs {
			m := mustNew(tb, ring, cookiesession.Config{Migrate: cfg.migrate})
			r := httptest.NewRequest("GET", "https://example.com/", nil)
			r.Header.Set("Cookie", c.line)
			benches = append(benches, migrateBench{c.name, cfg.name, wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
				var locale string
				if _, err := s.Get("locale", &locale); err != nil {
					panic(err)
				}
				w.Write([]byte(locale))
			}), r})
		}
	}
	return benches
}

// BenchmarkMigrate compares, for each request, a Manager that migrates with
// one that does not: compare with benchstat -col /config.
func BenchmarkMigrate(b *testing.B) {
	for _, mb := range migrateBenches(b) {
		b.Run("req="+mb.req+"/config="+mb.config, func(b *testing.B) {
			runBench(b, benchCase{h: mb.h, req: mb.r})
		})
	}
}

// TestMigrateAllocs holds migration to costing nothing where it has nothing
// to do: with no legacy cookie, or after Until, a request allocates what
// it would through a Manager that does not migrate.
func TestMigrateAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts in -short mode")
	}
	allocs := map[string]float64{}
	for _, mb := range migrateBenches(t) {
		w := &discardWriter{h: http.Header{}}
		allocs[mb.req+"/"+mb.config] = testing.AllocsPerRun(100, func() {
			clear(w.h)
			mb.h.ServeHTTP(w, mb.r)
		})
	}
	for _, pair := range [][2]string{{"none/on", "none/off"}, {"ours/on", "ours/off"}, {"none/ended", "none/off"}, {"legacy/ended", "legacy/off"}} {
		if allocs[pair[0]] != allocs[pair[1]] {
			t.Errorf("%s: got %v allocations, want %v as %s", pair[0], allocs[pair[0]], allocs[pair[1]], pair[1])
		}
	}
	t.Logf("allocations per request: %v", allocs)
}
