package main

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// phase is one value rotate prints, and the comment line before it.
type phase struct {
	when, line string
}

// phases splits rotate's output, in which every line is a comment or an
// assignment to env, into its assignments and the comments before them.
func phases(t *testing.T, out, env string) []phase {
	t.Helper()
	var ps []phase
	comment := ""
	for l := range strings.Lines(out) {
		l = strings.TrimSuffix(l, "\n")
		switch {
		case strings.HasPrefix(l, "# "):
			comment = l
		case strings.HasPrefix(l, env+"="):
			if comment == "" {
				t.Errorf("no comment line before %q", l)
			}
			ps = append(ps, phase{comment, l})
			comment = ""
		default:
			t.Errorf("got line %q, want a comment or %s=...", l, env)
		}
	}
	return ps
}

// expand evaluates an assignment line with /bin/sh, where env holds
// current, and returns the value assigned.
func expand(t *testing.T, line, env, current string) string {
	t.Helper()
	sh := exec.Command("/bin/sh", "-c", line+"\nprintf %s \"$"+env+"\"")
	sh.Env = []string{env + "=" + current}
	out, err := sh.Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", line, err)
	}
	return string(out)
}

func ringIDs(t *testing.T, value string) []string {
	t.Helper()
	r, err := cookiesession.ParseKeyRing(value)
	if err != nil {
		t.Fatalf("ParseKeyRing refuses a value rotate printed: %v", err)
	}
	var ids []string
	for _, k := range r.Stats() {
		ids = append(ids, k.ID)
	}
	return ids
}

func TestRotate(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		keys      int
	}{
		{"one key", "SESSION_KEYS", 1},
		{"two keys", "SESSION_KEYS", 2},
		{"-env", "OTHER_KEYS", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ring := newRing(t, tc.keys)
			env := []string{tc.env + "=" + ring.value}
			args := []string{"rotate"}
			if tc.env != "SESSION_KEYS" {
				args = append(args, "-env", tc.env)
				env = append(env, "SESSION_KEYS=not a ring")
			}
			r := run(t, env, "", args...)
			wantExit(t, r, 0)
			ps := phases(t, r.stdout, tc.env)
			if len(ps) != 3 {
				t.Fatalf("got %d phases, want 3:\n%s", len(ps), r.stdout)
			}
			var rings [][]string
			for _, p := range ps {
				rings = append(rings, ringIDs(t, expand(t, p.line, tc.env, ring.value)))
			}
			old := ring.ids()
			newID := rings[2]
			if len(newID) != 1 || slices.Contains(old, newID[0]) {
				t.Fatalf("got phase 3 ring %v, want one new key", newID)
			}
			if want := append(slices.Clone(old), newID...); !slices.Equal(rings[0], want) {
				t.Errorf("got phase 1 ring %v, want %v: the current ring, then the new key", rings[0], want)
			}
			if want := append(slices.Clone(newID), old...); !slices.Equal(rings[1], want) {
				t.Errorf("got phase 2 ring %v, want %v: the new key first", rings[1], want)
			}
			retire := regexp.MustCompile(`once the opens of ` + strings.Join(old, ", ") + ` stop growing and the session lifetime has passed`)
			if !retire.MatchString(ps[2].when) {
				t.Errorf("got phase 3 comment %q, want it to match %q", ps[2].when, retire)
			}
		})
	}
}

func TestRotateNow(t *testing.T) {
	ring := newRing(t, 2)
	r := run(t, ring.env(), "", "rotate", "-now")
	wantExit(t, r, 0)
	ps := phases(t, r.stdout, "SESSION_KEYS")
	if len(ps) != 1 {
		t.Fatalf("got %d rings, want 1:\n%s", len(ps), r.stdout)
	}
	ids := ringIDs(t, strings.TrimPrefix(ps[0].line, "SESSION_KEYS="))
	if len(ids) != 1 || slices.Contains(ring.ids(), ids[0]) {
		t.Errorf("got ring %v, want a new key alone", ids)
	}
	if !strings.Contains(r.stdout, "# WARNING: this ring ends every session") {
		t.Errorf("got:\n%s\nwant a warning that every session ends", r.stdout)
	}
}

func TestRotateBadRing(t *testing.T) {
	for _, b := range badRings(t) {
		for _, args := range [][]string{{"rotate"}, {"rotate", "-now"}} {
			t.Run(b.name+" "+strings.Join(args, " "), func(t *testing.T) {
				wantRingError(t, run(t, b.env, "", args...), b)
			})
		}
	}
}
