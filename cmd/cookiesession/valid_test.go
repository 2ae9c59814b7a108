package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// validVector is a value of the root package's test vectors that opens,
// with the fields it holds.
type validVector struct {
	Name          string   `json:"name"`
	Keys          []string `json:"keys"`
	SealedWith    int      `json:"sealed_with"`
	Version       int      `json:"version"`
	Cookie        string   `json:"cookie"`
	Transport     string   `json:"transport"`
	IssuedAt      int64    `json:"issued_at"`
	ExpiresAt     int64    `json:"expires_at"`
	RenewedAt     int64    `json:"renewed_at"`
	RevalidatedAt int64    `json:"revalidated_at"`
	Now           int64    `json:"now"`
	SessionID     string   `json:"session_id"` // hexadecimal
	Persistent    bool     `json:"persistent"`
	Entries       []struct {
		Key  string `json:"key"`
		JSON string `json:"json"`
	} `json:"entries"`
	Flashes []struct {
		Key  string `json:"key"`
		JSON string `json:"json"`
	} `json:"flashes"`
	Value string `json:"value"`
	// Cookies, if given, are the cookies Value is split over.
	Cookies []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"cookies"`
}

// arg is v as inspect's argument: its value, or a Cookie line that
// carries its cookies.
func (v *validVector) arg() string {
	if v.Cookies == nil {
		return v.Value
	}
	pairs := make([]string, len(v.Cookies))
	for i, c := range v.Cookies {
		pairs[i] = c.Name + "=" + c.Value
	}
	return "Cookie: " + strings.Join(pairs, "; ")
}

// TestInspectValidVectors checks every field of inspect -json against the
// valid test vectors, which FORMAT.md's examples are drawn from; a session
// split over several cookies is given as a Cookie line.
func TestInspectValidVectors(t *testing.T) {
	tried := 0
	for _, v := range readVectors(t).Valid {
		if !oneArgument(v.Value) {
			continue
		}
		tried++
		t.Run(v.Name, func(t *testing.T) {
			env := []string{"SESSION_KEYS=" + strings.Join(v.Keys, ",")}
			ds, r := inspectJSON(t, env, "", "-name="+v.Cookie, "-at", time.Unix(v.Now, 0).Format(time.RFC3339), v.arg())
			wantExit(t, r, 0)
			if len(ds) != 1 || ds[0].Contents == nil {
				t.Fatalf("got %+v, want one object with contents", ds)
			}
			checkVector(t, ds[0].Contents, &v)
		})
	}
	if tried == 0 {
		t.Fatal("no valid vector was tried")
	}
}

func checkVector(t *testing.T, got *cookiesession.Contents, v *validVector) {
	t.Helper()
	sealer, err := cookiesession.ParseKeyRing(v.Keys[v.SealedWith])
	if err != nil {
		t.Fatal(err)
	}
	id, _ := hex.DecodeString(v.SessionID)
	var revalidated time.Time
	if v.RevalidatedAt != 0 {
		revalidated = time.Unix(v.RevalidatedAt, 0)
	}
	for _, c := range []struct {
		field     string
		got, want any
	}{
		{"version", got.Version, v.Version},
		{"transport", got.Transport, v.Transport},
		{"key_id", got.KeyID, sealer.PrimaryID()},
		{"primary", got.Primary, v.SealedWith == 0},
		{"issued_at", got.IssuedAt.Unix(), v.IssuedAt},
		{"expires_at", got.ExpiresAt.Unix(), v.ExpiresAt},
		{"renewed_at", got.RenewedAt.Unix(), v.RenewedAt},
		{"revalidated_at", got.RevalidatedAt.IsZero(), revalidated.IsZero()},
		{"session_id", got.SessionID, base64.RawURLEncoding.EncodeToString(id)},
		{"persistent", got.Persistent, v.Persistent},
		{"cookies", got.Cookies, max(len(v.Cookies), 1)},
		{"entries", len(got.Values), len(v.Entries)},
		{"flashes", len(got.Flashes), len(v.Flashes)},
	} {
		if c.got != c.want {
			t.Errorf("got %s %v, want %v", c.field, c.got, c.want)
		}
	}
	if !revalidated.IsZero() && !got.RevalidatedAt.Equal(revalidated) {
		t.Errorf("got revalidated_at %v, want %v", got.RevalidatedAt, revalidated)
	}
	for _, e := range v.Entries {
		if !bytes.Equal(got.Values[e.Key], []byte(e.JSON)) {
			t.Errorf("got entry %q = %s, want %s", e.Key, got.Values[e.Key], e.JSON)
		}
	}
	for i, f := range v.Flashes {
		if i < len(got.Flashes) && (got.Flashes[i].Kind != f.Key || !bytes.Equal(got.Flashes[i].Message, []byte(f.JSON))) {
			t.Errorf("got flash %d %s: %s, want %s: %s", i, got.Flashes[i].Kind, got.Flashes[i].Message, f.Key, f.JSON)
		}
	}
}

// TestInspectRevalidated checks the human output of a revalidated cookie.
func TestInspectRevalidated(t *testing.T) {
	for _, v := range readVectors(t).Valid {
		if v.RevalidatedAt == 0 || v.Transport != "cookie" {
			continue
		}
		env := []string{"SESSION_KEYS=" + strings.Join(v.Keys, ",")}
		now := time.Unix(v.Now, 0)
		r := run(t, env, "", "inspect", "-name", v.Cookie, "-at", now.Format(time.RFC3339), v.Value)
		wantExit(t, r, 0)
		at := time.Unix(v.RevalidatedAt, 0)
		if want := "revalidated: " + at.UTC().Format(time.RFC3339) + " (" + relative(at.Sub(now)) + ")\n"; !strings.Contains(r.stdout, want) {
			t.Errorf("got:\n%s\nwant it to hold %q", r.stdout, want)
		}
		return
	}
	t.Fatal("no vector of a revalidated cookie")
}
