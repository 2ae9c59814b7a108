package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// vectorFile is the part of the root package's test vectors that inspect
// is checked against: values that open, and values that must not, by
// reason.
type vectorFile struct {
	Valid   []validVector `json:"valid"`
	Invalid []struct {
		Reason  cookiesession.Reason `json:"reason"`
		Vectors []struct {
			Name   string   `json:"name"`
			Keys   []string `json:"keys"`
			Cookie string   `json:"cookie"`
			Now    int64    `json:"now"`
			Value  string   `json:"value"`
			// Cookies, if given, are the cookies of a request that
			// carries chunks, in order.
			Cookies []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"cookies"`
		} `json:"vectors"`
	} `json:"invalid"`
}

// TestInspectVectors opens the invalid test vectors that can be given as
// one argument and checks that inspect reports what KeyRing.Inspect does.
// Inspect opens a value as a cookie and as a token, so some vectors that
// fail for one transport open as the other; every reason must still be
// met.
func TestInspectVectors(t *testing.T) {
	vf := readVectors(t)
	met := map[string]bool{}
	for _, g := range vf.Invalid {
		for _, v := range g.Vectors {
			if !oneArgument(v.Value) || v.Cookie == "" || strings.ContainsRune(v.Cookie, 0) {
				continue
			}
			t.Run(string(g.Reason)+"/"+v.Name, func(t *testing.T) {
				keys, err := cookiesession.ParseKeyRing(strings.Join(v.Keys, ","))
				if err != nil {
					t.Fatal(err)
				}
				_, want := keys.Inspect(v.Cookie, v.Value, time.Unix(v.Now, 0))
				wantReason := ""
				if inv := invalid(want); inv != nil {
					wantReason = string(inv.Reason)
				}
				met[wantReason] = true
				env := []string{"SESSION_KEYS=" + strings.Join(v.Keys, ",")}
				args := []string{"-name", v.Cookie, "-at", time.Unix(v.Now, 0).Format(time.RFC3339), v.Value}
				ds, r := inspectJSON(t, env, "", args...)
				if len(ds) != 1 || ds[0].Reason != wantReason {
					t.Fatalf("got %+v, want one object with reason %q", ds, wantReason)
				}
				if inv := invalid(want); inv != nil && inv.Reason == cookiesession.ReasonUnknownKey && ds[0].KeyID != inv.KeyID {
					t.Errorf("got key_id %q, want %q", ds[0].KeyID, inv.KeyID)
				}
				if want == nil {
					wantExit(t, r, 0)
					return
				}
				wantExit(t, r, 1)
				r = run(t, env, "", append([]string{"inspect"}, args...)...)
				wantExit(t, r, 1)
				if !strings.HasPrefix(r.stderr, want.Error()) {
					t.Errorf("got standard error %q, want it to start %q", r.stderr, want.Error())
				}
			})
		}
	}
	for _, g := range vf.Invalid {
		if !met[string(g.Reason)] {
			t.Errorf("no vector gave reason %q", g.Reason)
		}
	}
}

func readVectors(t *testing.T) *vectorFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(b, &vf); err != nil {
		t.Fatal(err)
	}
	return &vf
}

// oneArgument reports whether inspect takes v, given as its argument, as
// a bare value unchanged.
func oneArgument(v string) bool {
	return v != "" && !strings.ContainsAny(v, " \t\r\n\x00;:\"") && !strings.Contains(strings.TrimRight(v, "="), "=")
}

// TestInspectInvalid opens cookies that a real Manager wrote, under
// conditions that make them invalid.
func TestInspectInvalid(t *testing.T) {
	ring := newRing(t, 1)
	value := cookieValue(t, mint(t, ring.keys, cookiesession.Config{}, "", login))
	ct, err := ring.keys.Inspect(cookieName, value, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	other := newRing(t, 1)
	late := ct.ExpiresAt.Add(time.Hour).UTC()
	early := ct.IssuedAt.Add(-time.Hour).UTC()
	tampered := []byte(value)
	// Another base64url letter inside the ciphertext, where every bit of a
	// character counts: still well-formed, no longer authentic.
	if tampered[60] == 'A' {
		tampered[60] = 'B'
	} else {
		tampered[60] = 'A'
	}
	tests := []struct {
		name       string
		env        []string
		args       []string
		reason     cookiesession.Reason
		wantStderr string
	}{
		{"another ring", other.env(), []string{value}, cookiesession.ReasonUnknownKey,
			"cookiesession: invalid cookie: unknown key " + ring.ids()[0] + " (SESSION_KEYS holds " + other.ids()[0] + ")\n"},
		{"another name", ring.env(), []string{"-name", "session", value}, cookiesession.ReasonAuth,
			"cookiesession: invalid cookie: authentication (tampered with, or not sealed for session)\n"},
		{"tampered", ring.env(), []string{string(tampered)}, cookiesession.ReasonAuth,
			"cookiesession: invalid cookie: authentication (tampered with, or not sealed for __Host-session)\n"},
		{"expired", ring.env(), []string{"-at", late.Format(time.RFC3339), value}, cookiesession.ReasonExpired,
			"cookiesession: invalid cookie: expired at " + ct.ExpiresAt.UTC().Format(time.RFC3339) + " (1h ago)\n"},
		{"from the future", ring.env(), []string{"-at", early.Format(time.RFC3339), value}, cookiesession.ReasonFuture,
			"cookiesession: invalid cookie: issued in the future: issued at " + ct.IssuedAt.UTC().Format(time.RFC3339) + " (in 1h)\n"},
		{"too long", ring.env(), []string{strings.Repeat("A", 4096)}, cookiesession.ReasonTooLong,
			"cookiesession: invalid cookie: too long\n"},
		{"malformed", ring.env(), []string{value + "=="}, cookiesession.ReasonMalformed,
			"cookiesession: invalid cookie: malformed\n"},
		{"too short", ring.env(), []string{value[:40]}, cookiesession.ReasonTooShort,
			"cookiesession: invalid cookie: too short\n"},
		{"unknown version", ring.env(), []string{"_" + value[1:]}, cookiesession.ReasonVersion,
			"cookiesession: invalid cookie: unknown version\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.env, "", append([]string{"inspect"}, tc.args...)...)
			wantExit(t, r, 1)
			if r.stderr != tc.wantStderr {
				t.Errorf("got standard error %q, want %q", r.stderr, tc.wantStderr)
			}
			if want := "status:      invalid: " + string(tc.reason); !strings.Contains(r.stdout, want) {
				t.Errorf("got:\n%s\nwant it to hold %q", r.stdout, want)
			}
			authentic := tc.reason == cookiesession.ReasonExpired || tc.reason == cookiesession.ReasonFuture
			if shown := strings.Contains(r.stdout, "session ID:  "+ct.SessionID); shown != authentic {
				t.Errorf("got:\n%s\nwant the contents shown only for an authentic cookie", r.stdout)
			}
			ds, r := inspectJSON(t, tc.env, "", tc.args...)
			wantExit(t, r, 1)
			if len(ds) != 1 || ds[0].Reason != string(tc.reason) || ds[0].Error == "" {
				t.Fatalf("got %+v, want one object with reason %q and an error", ds, tc.reason)
			}
			d := ds[0]
			switch tc.reason {
			case cookiesession.ReasonUnknownKey:
				if d.KeyID != ring.ids()[0] {
					t.Errorf("got key_id %q, want %q", d.KeyID, ring.ids()[0])
				}
			case cookiesession.ReasonExpired, cookiesession.ReasonFuture:
				if d.Contents == nil || d.Contents.SessionID != ct.SessionID {
					t.Errorf("got contents %+v, want the session's, %s", d.Contents, ct.SessionID)
				}
			}
			if wantExpired := tc.reason == cookiesession.ReasonExpired; wantExpired != !d.ExpiredAt.IsZero() ||
				wantExpired && !d.ExpiredAt.Equal(ct.ExpiresAt) {
				t.Errorf("got expired_at %v, want it only for an expired cookie, at %v", d.ExpiredAt, ct.ExpiresAt)
			}
		})
	}
}
