package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder stands in for a test that Command stops. Only the methods
// Command calls are implemented; the embedded nil TB makes any other call
// panic.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Name() string                      { return "TestNeedsProgram" }
func (r *recorder) Fatal(args ...any)                 { r.fatal = fmt.Sprint(args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }
func (r *recorder) Skip(args ...any)                  { r.skip = fmt.Sprint(args...) }

const (
	missing = "cookiesession-no-such-program"
	install = "sudo apt-get install -y no-such-package"
)

func TestCommandFindsProgram(t *testing.T) {
	dir := t.TempDir()
	onPath := filepath.Join(dir, "bin", "tool-on-path")
	elsewhere := filepath.Join(dir, "sbin", "tool-elsewhere")
	notExecutable := filepath.Join(dir, "sbin", "plain-file")
	for _, p := range []string{onPath, elsewhere} {
		writeFile(t, p, 0o755)
	}
	writeFile(t, notExecutable, 0o644)
	t.Setenv("PATH", filepath.Dir(onPath))

	tests := []struct {
		name  string
		paths []string
		want  string
	}{
		{"tool-on-path", nil, onPath},
		{"tool-elsewhere", []string{filepath.Join(dir, "nowhere"), elsewhere}, elsewhere},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			if got := Command(r, tc.name, install, tc.paths...); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if r.fatal != "" || r.skip != "" {
				t.Errorf("got fatal %q, skip %q; want neither", r.fatal, r.skip)
			}
		})
	}
	t.Run("not executable", func(t *testing.T) {
		t.Setenv("CI", "")
		t.Setenv(SkipLogEnv, "")
		r := &recorder{}
		if got := Command(r, "plain-file", install, notExecutable); got != "" || r.skip == "" {
			t.Errorf("got path %q, skip %q; want no path and a skip", got, r.skip)
		}
	})
}

func TestCommandSkipsAndLogs(t *testing.T) {
	log := filepath.Join(t.TempDir(), "skips")
	t.Setenv("CI", "")
	t.Setenv(SkipLogEnv, log)
	for range 2 {
		r := &recorder{}
		if got := Command(r, missing, install, "/nonexistent/"+missing); got != "" {
			t.Fatalf("got path %q, want none", got)
		}
		if r.fatal != "" {
			t.Fatalf("got fatal %q, want a skip", r.fatal)
		}
		for _, want := range []string{missing, install, "/nonexistent/" + missing} {
			if !strings.Contains(r.skip, want) {
				t.Errorf("skip message %q does not mention %q", r.skip, want)
			}
		}
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	line := "TestNeedsProgram\t" + missing + "\t" + install + "\n"
	if got, want := string(b), line+line; got != want {
		t.Errorf("skip log: got %q, want %q", got, want)
	}
}

func TestCommandFailsUnderCI(t *testing.T) {
	log := filepath.Join(t.TempDir(), "skips")
	t.Setenv("CI", "true")
	t.Setenv(SkipLogEnv, log)
	r := &recorder{}
	Command(r, missing, install)
	if r.skip != "" || !strings.Contains(r.fatal, install) {
		t.Errorf("got fatal %q, skip %q; want a failure naming %q", r.fatal, r.skip, install)
	}
	if _, err := os.Stat(log); !os.IsNotExist(err) {
		t.Errorf("skip log written under CI (stat: %v); want none", err)
	}
}

func TestCommandFailsWhenTheSkipCannotBeLogged(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv(SkipLogEnv, filepath.Join(t.TempDir(), "no-such-dir", "skips"))
	r := &recorder{}
	Command(r, missing, install)
	if r.skip != "" || r.fatal == "" {
		t.Errorf("got fatal %q, skip %q; want a failure", r.fatal, r.skip)
	}
}

func writeFile(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
}
