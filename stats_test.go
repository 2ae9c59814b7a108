package cookiesession_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// statsDelta names the counters that moved from before to after.
func statsDelta(before, after cookiesession.Stats) map[string]uint64 {
	d := map[string]uint64{
		"issued":    after.Issued - before.Issued,
		"resealed":  after.Resealed - before.Resealed,
		"upgraded":  after.Upgraded - before.Upgraded,
		"too large": after.TooLarge - before.TooLarge,
	}
	for r, n := range after.Invalid {
		if n != before.Invalid[r] {
			d["invalid "+string(r)] = n - before.Invalid[r]
		}
	}
	return d
}

func TestStatsCounts(t *testing.T) {
	oldKey, newKey := cookiesession.GenerateKey(), cookiesession.GenerateKey()
	before := mustNew(t, ringOf(t, oldKey), cookiesession.Config{})
	oldCookie := mint(t, before)
	other := mint(t, mustNew(t, freshRing(t), cookiesession.Config{}))

	m := mustNew(t, ringOf(t, newKey, oldKey), cookiesession.Config{})
	name := "__Host-session="
	setA := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Set("a", 1) })
	read := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Has("a") })
	tooBig := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) {
		s.Set("big", strings.Repeat("x", cookiesession.MaxCookieSize))
	})
	newCookie := mint(t, m)

	cases := []struct {
		name    string
		h       http.Handler
		cookies []string
		want    map[string]uint64
	}{
		{"a new session written", setA, nil, map[string]uint64{"issued": 1}},
		{"a new session left empty", read, nil, nil},
		{"a primary-key cookie read", read, []string{name + newCookie}, nil},
		{"a primary-key cookie changed", setA, []string{name + newCookie}, nil},
		{"an old-key cookie read is re-sealed", read, []string{name + oldCookie}, map[string]uint64{"resealed": 1}},
		{"an unknown key", read, []string{name + other}, map[string]uint64{"invalid unknown key": 1}},
		{"garbage", read, []string{name + "!!"}, map[string]uint64{"invalid malformed": 1}},
		{"tampered", read, []string{name + flipBit(t, newCookie, 40, 1)}, map[string]uint64{"invalid authentication": 1}},
		{"one valid among invalid ones counts nothing", read, []string{name + "!!", name + newCookie}, nil},
		{"a write refused by the size guard", tooBig, nil, map[string]uint64{"too large": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := m.Stats()
			serve(tc.h, tc.cookies...)
			got := statsDelta(st, m.Stats())
			for k, n := range got {
				if n != tc.want[k] {
					t.Errorf("%s: got +%d, want +%d", k, n, tc.want[k])
				}
			}
			for k, n := range tc.want {
				if _, ok := got[k]; !ok && n != 0 {
					t.Errorf("%s: got no change, want +%d", k, n)
				}
			}
		})
	}
}

func TestStatsKeys(t *testing.T) {
	oldKey, newKey := cookiesession.GenerateKey(), cookiesession.GenerateKey()
	oldCookie := mint(t, mustNew(t, ringOf(t, oldKey), cookiesession.Config{}))
	ring := ringOf(t, newKey, oldKey)
	m := mustNew(t, ring, cookiesession.Config{})
	read := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Has("a") })
	for range 3 {
		serve(read, "__Host-session="+oldCookie)
	}
	st := m.Stats()
	if len(st.Keys) != 2 {
		t.Fatalf("Keys: got %d, want 2", len(st.Keys))
	}
	want := ring.Stats()
	for i, k := range st.Keys {
		if k.ID != want[i].ID || k.Primary != (i == 0) {
			t.Errorf("Keys[%d]: got %s primary=%v, want %s primary=%v", i, k.ID, k.Primary, want[i].ID, i == 0)
		}
	}
	if st.Keys[0].Opens != 0 || st.Keys[1].Opens != 3 {
		t.Errorf("opens: got primary %d, old %d; want 0 and 3", st.Keys[0].Opens, st.Keys[1].Opens)
	}
}

// TestStatsJSON checks the snapshot's JSON shape, which dashboards and
// scrapers depend on, and that no form of a key appears in it.
func TestStatsJSON(t *testing.T) {
	secret := cookiesession.GenerateKey()
	m := mustNew(t, ringOf(t, secret), cookiesession.Config{})
	serve(wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Has("a") }), "__Host-session=!!")

	srv := httptest.NewServer(m.StatsHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", cc)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	for _, field := range []string{"keys", "issued", "resealed", "upgraded", "invalid", "too_large", "revalidation", "migrated", "dropped"} {
		if _, ok := got[field]; !ok {
			t.Errorf("JSON has no %q: %s", field, body)
		}
	}
	revalidation, _ := got["revalidation"].(map[string]any)
	for _, field := range []string{"passed", "failed", "deferred", "coalesced"} {
		if _, ok := revalidation[field]; !ok {
			t.Errorf("JSON's revalidation has no %q: %s", field, body)
		}
	}
	keys, _ := got["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("keys: got %v, want one key", got["keys"])
	}
	if k := keys[0].(map[string]any); k["id"] != m.Stats().Keys[0].ID || k["primary"] != true {
		t.Errorf("keys[0]: got %v, want id %s, primary true", k, m.Stats().Keys[0].ID)
	} else if _, ok := k["last_used"]; ok {
		t.Errorf("keys[0]: got last_used %v for a key that opened nothing, want it omitted", k["last_used"])
	}
	invalid, _ := got["invalid"].(map[string]any)
	every := []cookiesession.Reason{
		cookiesession.ReasonChunks, cookiesession.ReasonTooLong, cookiesession.ReasonMalformed, cookiesession.ReasonTooShort,
		cookiesession.ReasonVersion, cookiesession.ReasonUnknownKey, cookiesession.ReasonAuth,
		cookiesession.ReasonPlaintext, cookiesession.ReasonFuture, cookiesession.ReasonExpired,
		cookiesession.ReasonSeveralTokens, cookiesession.ReasonRevalidation, cookiesession.ReasonLegacy,
	}
	for _, r := range every {
		want := 0.0
		if r == cookiesession.ReasonMalformed {
			want = 1
		}
		if invalid[string(r)] != want {
			t.Errorf("invalid[%q]: got %v, want %v", r, invalid[string(r)], want)
		}
	}
	if len(invalid) != len(every) {
		t.Errorf("invalid: got %d reasons %v, want %d", len(invalid), invalid, len(every))
	}
	cookiesession.CheckNoSecret(t, "stats JSON", string(body), secret)

	resp, err = http.Post(srv.URL, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: got %d, Allow %q; want 405, Allow \"GET, HEAD\"", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// TestStatsConcurrent counts under the race detector from many requests at
// once: every write and rejection is counted once.
func TestStatsConcurrent(t *testing.T) {
	m := mustNew(t, freshRing(t), cookiesession.Config{})
	setA := wrap(m, func(w http.ResponseWriter, r *http.Request, s *cookiesession.Session) { s.Set("a", 1) })
	const n = 50
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			serve(setA)
			serve(setA, "__Host-session=AAAA")
			m.Stats()
		})
	}
	wg.Wait()
	st := m.Stats()
	if st.Issued != 2*n || st.Invalid[cookiesession.ReasonTooShort] != n {
		t.Errorf("got issued %d, too short %d; want %d and %d", st.Issued, st.Invalid[cookiesession.ReasonTooShort], 2*n, n)
	}
}
