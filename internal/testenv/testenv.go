// Package testenv finds the programs that some of this repository's tests
// drive, such as chromium and nginx, and decides what such a test does on a
// machine that lacks one.
//
// A test calls [Command] before it starts anything:
//
//	nginx := testenv.Command(t, "nginx", "sudo apt-get install -y nginx-light", "/usr/sbin/nginx")
//
// If the program is there, the test goes on with its path. If not, the test
// stops: it fails when the CI environment variable is set, because CI must
// run every test, and it is skipped otherwise, with a message that names
// the program and the command that installs it. A skip is also recorded in
// the file named by [SkipLogEnv], so that test.sh can list every test a
// missing program kept from running, instead of passing quietly.
//
// Any package of this repository can import testenv, the nested modules
// (e2e, bench, examples/routers) included: Go's rule for internal packages
// looks at import paths, not at module boundaries.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// SkipLogEnv names the environment variable that holds the path of the skip
// log. When it is set, [Command] appends one line to that file for each
// test it skips:
//
//	TestName<TAB>program<TAB>install command
//
// test.sh sets it, one file per module, and prints the lines in its summary.
const SkipLogEnv = "COOKIESESSION_SKIPLOG"

// Command returns the path of the program called name, looked up on PATH
// and then at each of paths, in order; the first that is an executable
// file wins.
//
// If there is none, Command stops the test: with t.Fatal when the CI
// environment variable is non-empty, and otherwise with t.Skip after
// recording the skip in the file named by [SkipLogEnv]. Both messages name
// the program and install, the command that installs it, such as
// "sudo apt-get install -y chromium". The log is written before the skip;
// if it cannot be written, the test fails instead, so no skip goes
// unreported.
func Command(t testing.TB, name, install string, paths ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range paths {
		if isExecutable(p) {
			return p
		}
	}
	msg := fmt.Sprintf("%s not found on PATH", name)
	for _, p := range paths {
		msg += " or at " + p
	}
	msg += "; install it with: " + install
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI must run this test)")
		return ""
	}
	if err := logSkip(t.Name(), name, install); err != nil {
		t.Fatalf("%s; recording the skip: %v", msg, err)
		return ""
	}
	t.Skip(msg)
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// logSkip appends one line to the skip log, if there is one. The line is
// written with a single call on a file opened for appending, so the lines of
// test binaries running at the same time do not interleave.
func logSkip(test, name, install string) error {
	path := os.Getenv(SkipLogEnv)
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s\t%s\t%s\n", test, name, install)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
