package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cookiesession/cookiesession"
)

var update = flag.Bool("update", false, "rewrite testdata/help.golden")

// binary is the command, built once by TestMain; every test runs it as a
// subprocess, as an operator does.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "cookiesession-cmd")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "cookiesession")
	out, err := exec.Command(goTool(), "build", "-o", binary, ".").CombinedOutput()
	code := 1
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the command: %v\n%s", err, out)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// result is what one run of the command printed, and its exit status.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit status %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs the command with args, the environment variables env (and no
// others) and stdin as its standard input. It fails t if the output holds
// any part of a key found in env, in any common encoding.
func run(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running %v: %v", args, err)
	}
	r := result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
	assertNoSecrets(t, r.stdout+r.stderr, env)
	return r
}

// wantExit fails t unless r exited with code.
func wantExit(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("got exit status %d, want %d\n%v", r.code, code, r)
	}
}

// ring is a key ring made for a test: the secrets and SESSION_KEYS.
type ring struct {
	secrets [][]byte
	value   string // the SESSION_KEYS value: standard base64, padded
	keys    *cookiesession.KeyRing
}

func newRing(t *testing.T, n int) *ring {
	t.Helper()
	r := &ring{}
	var parts []string
	for range n {
		s := cookiesession.GenerateKey()
		r.secrets = append(r.secrets, s)
		parts = append(parts, base64.StdEncoding.EncodeToString(s))
	}
	r.value = strings.Join(parts, ",")
	var err error
	if r.keys, err = cookiesession.ParseKeyRing(r.value); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *ring) env() []string { return []string{"SESSION_KEYS=" + r.value} }

// ids returns the key IDs, primary first.
func (r *ring) ids() []string {
	var ids []string
	for _, k := range r.keys.Stats() {
		ids = append(ids, k.ID)
	}
	return ids
}

// assertNoSecrets fails t if out holds 12 consecutive bytes of any key in
// env, or of any text given as a key there: raw, in hexadecimal (either
// case) or in base64 of either alphabet.
func assertNoSecrets(t *testing.T, out string, env []string) {
	t.Helper()
	for _, kv := range env {
		_, v, _ := strings.Cut(kv, "=")
		for part := range strings.SplitSeq(v, ",") {
			for _, secret := range secretForms(strings.TrimSpace(part)) {
				if leak := findWindow(out, secret); leak != "" {
					t.Fatalf("output holds %q, part of a key from the environment:\n%s", leak, out)
				}
			}
		}
	}
}

// secretForms returns the spellings of the key written as part.
func secretForms(part string) []string {
	var raws []string
	if len(part) >= 16 {
		raws = append(raws, part) // as given, even if it is not a valid key
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(part); err == nil && len(b) >= 12 {
			raws = append(raws, string(b))
		}
	}
	var forms []string
	for _, raw := range raws {
		b := []byte(raw)
		forms = append(forms, raw, hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
			base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b))
	}
	return forms
}

// findWindow returns the first 16-character substring of secret (a whole
// secret if shorter) found in out, or "". A base64 window of 16 characters
// spans 12 bytes; for raw bytes and hexadecimal the window is shorter in
// bytes, and still beyond what random output repeats by chance.
func findWindow(out, secret string) string {
	const w = 16
	if len(secret) <= w {
		if strings.Contains(out, secret) {
			return secret
		}
		return ""
	}
	for i := 0; i+w <= len(secret); i++ {
		// The unpadded forms are prefixes of the padded ones; windows that
		// stop short of the padding cover them.
		if s := secret[i : i+w]; strings.Contains(out, s) {
			return s
		}
	}
	return ""
}

func TestLeakCheckFindsKeys(t *testing.T) {
	r := newRing(t, 1)
	raw := r.secrets[0]
	for _, out := range []string{
		base64.StdEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
		hex.EncodeToString(raw),
		strings.ToUpper(hex.EncodeToString(raw)),
		string(raw),
		"key: " + base64.URLEncoding.EncodeToString(raw)[8:30] + "...",
	} {
		found := false
		for _, secret := range secretForms(base64.StdEncoding.EncodeToString(raw)) {
			found = found || findWindow(out, secret) != ""
		}
		if !found {
			t.Errorf("the leak check misses %q", out)
		}
	}
}

func TestHelpGolden(t *testing.T) {
	var got strings.Builder
	for _, args := range [][]string{{"help"}, {"help", "keygen"}, {"help", "rotate"}, {"help", "check"}, {"help", "inspect"}} {
		r := run(t, nil, "", args...)
		wantExit(t, r, 0)
		if r.stderr != "" {
			t.Errorf("%v printed on standard error:\n%s", args, r.stderr)
		}
		fmt.Fprintf(&got, "$ cookiesession %s\n%s\n", strings.Join(args, " "), r.stdout)
	}
	golden := filepath.Join("testdata", "help.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("help output differs from %s (go test -update rewrites it); got:\n%s", golden, got.String())
	}
}

// TestHelpFlag checks that -h, help NAME and the command list agree, and
// that help goes to standard output with status 0.
func TestHelpFlag(t *testing.T) {
	for _, cmd := range commands {
		t.Run(cmd.name, func(t *testing.T) {
			flagHelp := run(t, nil, "", cmd.name, "-h")
			wantExit(t, flagHelp, 0)
			topic := run(t, nil, "", "help", cmd.name)
			if flagHelp.stdout != topic.stdout {
				t.Errorf("got -h:\n%s\nwant it to match help %s:\n%s", flagHelp.stdout, cmd.name, topic.stdout)
			}
			if want := "usage: cookiesession " + cmd.name + " "; !strings.HasPrefix(flagHelp.stdout, want) {
				t.Errorf("got -h starting %q, want %q", firstLine(flagHelp.stdout), want)
			}
		})
	}
	list := run(t, nil, "", "help")
	for _, cmd := range commands {
		if !strings.Contains(list.stdout, "\t"+cmd.name+" ") {
			t.Errorf("help does not list %s:\n%s", cmd.name, list.stdout)
		}
	}
	for _, flag := range []string{"-h", "-help", "--help"} {
		r := run(t, nil, "", flag)
		wantExit(t, r, 0)
		if r.stdout != list.stdout {
			t.Errorf("got %s:\n%s\nwant the output of help", flag, r.stdout)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	env := newRing(t, 1).env()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string // a line of standard error
	}{
		{"no command", nil, 2, "\tcookiesession <command> [arguments]"},
		{"unknown command", []string{"frobnicate"}, 2, `cookiesession: unknown command "frobnicate"`},
		{"unknown help topic", []string{"help", "frobnicate"}, 2, "cookiesession help frobnicate: unknown help topic. Run 'cookiesession help'."},
		{"unknown flag", []string{"check", "-x"}, 2, "cookiesession check: flag provided but not defined: -x"},
		{"stray argument", []string{"check", "extra"}, 2, `cookiesession check: unexpected argument "extra"`},
		{"two values", []string{"inspect", "a", "b"}, 2, `cookiesession inspect: unexpected argument "b"`},
		{"keygen -n 0", []string{"keygen", "-n", "0"}, 2, "cookiesession keygen: -n 0: want 1 to 100 keys"},
		{"keygen -n 101", []string{"keygen", "-n", "101"}, 2, "cookiesession keygen: -n 101: want 1 to 100 keys"},
		{"keygen -n x", []string{"keygen", "-n", "x"}, 2, `cookiesession keygen: invalid value "x" for flag -n: parse error`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, env, "", tc.args...)
			wantExit(t, r, tc.wantCode)
			if !hasLine(r.stderr, tc.wantErr) {
				t.Errorf("got standard error:\n%s\nwant the line %q", r.stderr, tc.wantErr)
			}
			if r.stdout != "" {
				t.Errorf("got standard output %q, want none", r.stdout)
			}
		})
	}
}

func hasLine(out, line string) bool {
	for l := range strings.Lines(out) {
		if strings.TrimSuffix(l, "\n") == line {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
