package main

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// badRing is a SESSION_KEYS value that KeyRingFromEnv refuses.
type badRing struct {
	name  string
	env   []string // the whole environment of the run
	inErr string   // part of the library's error
}

func badRings(t *testing.T) []badRing {
	good := newRing(t, 1).value
	short := base64.StdEncoding.EncodeToString(cookiesession.GenerateKey()[:16])
	passphrase := base64.StdEncoding.EncodeToString([]byte("correct horse battery staple 123"))
	const published = "mIN6cmvhRiRqYnK49OWDOLlAMGG8PKv-56jr70fxlXs" // the package's development key: do not use
	return []badRing{
		{"unset", nil, "SESSION_KEYS is not set"},
		{"empty", []string{"SESSION_KEYS="}, "SESSION_KEYS is not set"},
		{"wrong length", []string{"SESSION_KEYS=" + short}, "key 1 of 1: got 16 bytes"},
		{"second key wrong length", []string{"SESSION_KEYS=" + good + "," + short}, "key 2 of 2: got 16 bytes"},
		{"duplicate", []string{"SESSION_KEYS=" + good + ", " + good}, "key 2 of 2 repeats key 1"},
		{"published demo key", []string{"SESSION_KEYS=" + published}, "published in the cookiesession documentation"},
		{"text passphrase", []string{"SESSION_KEYS=" + passphrase}, "printable text"},
		{"passphrase not encoded", []string{"SESSION_KEYS=correct horse battery staple"}, "not valid base64"},
		{"empty entry", []string{"SESSION_KEYS=" + good + ","}, "key 2 of 2: empty key"},
	}
}

// wantRingError fails t unless r is the failure KeyRingFromEnv gives for
// env: its error, alone, on standard error, and status 1.
func wantRingError(t *testing.T, r result, b badRing) {
	t.Helper()
	wantExit(t, r, 1)
	for _, kv := range b.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	_, err := cookiesession.KeyRingFromEnv("SESSION_KEYS")
	if err == nil {
		t.Fatalf("KeyRingFromEnv accepts %s", b.name)
	}
	if want := err.Error() + "\n"; r.stderr != want {
		t.Errorf("got standard error %q, want %q", r.stderr, want)
	}
	if !strings.Contains(r.stderr, b.inErr) {
		t.Errorf("got standard error %q, want it to say %q", r.stderr, b.inErr)
	}
	if r.stdout != "" {
		t.Errorf("got standard output %q, want none", r.stdout)
	}
}

func TestCheckBadRing(t *testing.T) {
	for _, b := range badRings(t) {
		t.Run(b.name, func(t *testing.T) {
			wantRingError(t, run(t, b.env, "", "check"), b)
		})
	}
}

func TestCheck(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(plural(n, "key"), func(t *testing.T) {
			ring := newRing(t, n)
			r := run(t, ring.env(), "", "check")
			wantExit(t, r, 0)
			var want strings.Builder
			for i, id := range ring.ids() {
				role := "opens only"
				if i == 0 {
					role = "primary: seals and opens"
				}
				fmt.Fprintf(&want, "key %d  %s  %s\n", i+1, id, role)
			}
			fmt.Fprintf(&want, "SESSION_KEYS: %s, good; %s seals.\n", plural(n, "key"), ring.ids()[0])
			if r.stdout != want.String() {
				t.Errorf("got:\n%s\nwant:\n%s", r.stdout, want.String())
			}
		})
	}
}

func TestCheckEnvFlag(t *testing.T) {
	ring := newRing(t, 2)
	env := []string{"OTHER_KEYS=" + ring.value, "SESSION_KEYS=not a ring"}
	r := run(t, env, "", "check", "-env", "OTHER_KEYS")
	wantExit(t, r, 0)
	if want := regexp.MustCompile(`(?m)^OTHER_KEYS: 2 keys, good; ` + ring.ids()[0] + ` seals\.$`); !want.MatchString(r.stdout) {
		t.Errorf("got:\n%s\nwant a line matching %s", r.stdout, want)
	}
	r = run(t, env, "", "check", "-env", "MISSING_KEYS")
	wantExit(t, r, 1)
	if !strings.Contains(r.stderr, "MISSING_KEYS is not set") {
		t.Errorf("got standard error %q, want it to name MISSING_KEYS", r.stderr)
	}
}
