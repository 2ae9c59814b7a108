package main

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
)

func TestKeygen(t *testing.T) {
	for _, n := range []int{0, 1, 5, 100} { // 0: the default, one key
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			args := []string{"keygen"}
			want := 1
			if n > 0 {
				args, want = append(args, "-n", strconv.Itoa(n)), n
			}
			r := run(t, nil, "", args...)
			wantExit(t, r, 0)
			keys := strings.Fields(r.stdout)
			if len(keys) != want || strings.Count(r.stdout, "\n") != want {
				t.Fatalf("got %d keys in %q, want %d, one a line", len(keys), r.stdout, want)
			}
			for _, k := range keys {
				if b, err := base64.RawURLEncoding.Strict().DecodeString(k); err != nil || len(b) != cookiesession.KeySize {
					t.Errorf("got key %q, want %d bytes in unpadded base64url", k, cookiesession.KeySize)
				}
			}
			if _, err := cookiesession.ParseKeyRing(strings.Join(keys, ",")); err != nil {
				t.Errorf("ParseKeyRing refuses keygen's keys: %v", err)
			}
		})
	}
}

func TestKeygenDiffers(t *testing.T) {
	a, b := run(t, nil, "", "keygen"), run(t, nil, "", "keygen")
	if a.stdout == b.stdout {
		t.Errorf("two runs printed the same key")
	}
}
