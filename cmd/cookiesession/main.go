// Command cookiesession makes and rotates the keys of cookiesession's
// stateless sessions, checks a key ring, and opens session cookies to show
// what they hold.
//
//	go install github.com/cookiesession/cookiesession/cmd/cookiesession@latest
//
// Usage:
//
//	cookiesession <command> [arguments]
//
// The commands are:
//
//	keygen      print new keys
//	rotate      print the key rings of a staged key rotation
//	check       check the key ring in the environment
//	inspect     open a session cookie or token and print what it holds
//
// Every command that needs the key ring reads it from the environment
// variable SESSION_KEYS, or the one named by -env, as a service does with
// cookiesession.KeyRingFromEnv. No command prints a key it did not make:
// check and inspect show key IDs, never key bytes, and rotate refers to the
// keys in use by the variable's name.
//
// Exit status is 0 on success, 1 on a failure (a bad ring, an invalid
// cookie) and 2 on a usage error.
//
// # Keygen
//
//	cookiesession keygen [-n N]
//
// Keygen prints N new keys (default 1, at most 100), one a line, each 32
// random bytes in unpadded base64url: the form SESSION_KEYS holds.
//
// # Rotate
//
//	cookiesession rotate [-env NAME] [-now]
//
// Rotate makes a new key and prints the value of SESSION_KEYS for each
// phase of a rotation that logs no one out, each after a line saying when
// to deploy it to every replica:
//
//	# Rotation from e1c54cd4 to the new key 85f1baaf. Deploy each phase to every replica.
//	# $SESSION_KEYS stands for the value in use now, which this command does not print.
//	# Phase 1, now: the new key opens cookies; e1c54cd4 still seals them.
//	SESSION_KEYS=$SESSION_KEYS,<new key>
//	# Phase 2, once every replica runs phase 1: the new key seals; cookies under e1c54cd4 still open and are re-sealed under 85f1baaf on their next use.
//	SESSION_KEYS=<new key>,$SESSION_KEYS
//	# Phase 3, once the opens of e1c54cd4 stop growing and the session lifetime has passed since every replica runs phase 2: e1c54cd4 retired, the new key alone.
//	SESSION_KEYS=<new key>
//
// The opens of a key are those Manager.Stats reports.
// $SESSION_KEYS stands for the value in use before phase 1, which rotate
// does not print: paste the lines where the variable is expanded (a shell,
// a Compose file), or write the current keys in its place. Every key of the
// current ring, the primary and any left from an earlier rotation, keeps
// opening cookies until phase 3, which keeps the new key alone.
//
// With -now, rotate prints a ring of the new key alone: deployed, it ends
// every session at once, the way to log everyone out.
//
// # Check
//
//	cookiesession check [-env NAME]
//
// Check parses SESSION_KEYS as a service would and prints each key's
// position and ID, and which key seals. On a bad ring it prints the
// library's error, which names the key's position, and exits 1. A ring of
// one key is the usual state between rotations, so it draws no warning.
//
// # Inspect
//
//	cookiesession inspect [-name COOKIE] [-header NAME] [-env NAME] [-at TIME] [-json] [VALUE | -]
//
// Inspect opens a session cookie with the ring from the environment and
// prints its key ID and whether that key is the primary, when it was issued,
// expires and was last renewed, its session ID, whether it is persistent,
// every entry as JSON and its flashes. VALUE may be the cookie's bare value,
// name=value as browser tools copy it, a Cookie or Set-Cookie header line,
// or a token header line (Session-Token: <token>); with no VALUE, or "-",
// inspect reads standard input, which may hold a whole HTTP message as
// curl -i or curl -v prints it, whose token header -header names. -name
// gives the cookie's name (default __Host-session), -at the time to open
// it at (default now). A cookie that does not open prints the library's
// reason, with the unknown key's ID or the time it expired, and exits 1.
// -json prints one JSON object per cookie instead.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// A command is one subcommand.
type command struct {
	name    string
	usage   string // the arguments after the name, for the usage line
	summary string // a short phrase for the command list
	doc     string // the description -h prints
	maxArgs int    // how many arguments may follow the flags

	// flags defines the command's flags in fs and returns the function that
	// runs the command once they are parsed, with the arguments left.
	flags func(fs *flag.FlagSet) func(c *cli, args []string) error
}

var commands = []*command{keygenCommand, rotateCommand, checkCommand, inspectCommand}

// cli holds a run's standard streams.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// A usageError makes the command print its usage line and exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// errSilent ends a command that has already reported its failure.
var errSilent = errors.New("failed")

func main() {
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	os.Exit(c.main(os.Args[1:]))
}

// main runs the command line args and returns the exit status.
func (c *cli) main(args []string) int {
	if len(args) == 0 {
		c.printCommands(c.stderr)
		return 2
	}
	name, args := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return c.help(args)
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(c.stderr, "cookiesession: unknown command %q\nRun 'cookiesession help' for usage.\n", name)
		return 2
	}
	return c.exit(cmd, c.run(cmd, args))
}

// run parses cmd's flags from args and runs it.
func (c *cli) run(cmd *command, args []string) error {
	fs := flag.NewFlagSet("cookiesession "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := cmd.flags(fs)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.printHelp(cmd, fs)
		return err
	case err != nil:
		return &usageError{err.Error()}
	case fs.NArg() > cmd.maxArgs:
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(cmd.maxArgs))}
	}
	return run(c, fs.Args())
}

// exit reports err, returned by cmd, and returns the exit status.
func (c *cli) exit(cmd *command, err error) int {
	var uerr *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errSilent):
		return 1
	case errors.As(err, &uerr):
		fmt.Fprintf(c.stderr, "cookiesession %[1]s: %[2]s\nusage: cookiesession %[1]s %[3]s\nRun 'cookiesession help %[1]s' for details.\n",
			cmd.name, uerr.msg, cmd.usage)
		return 2
	}
	c.fail(err)
	return 1
}

// fail prints err on standard error after the program's name, once: the
// root package's errors already start with it.
func (c *cli) fail(err error) {
	fmt.Fprintf(c.stderr, "cookiesession: %s\n", strings.TrimPrefix(err.Error(), "cookiesession: "))
}

func (c *cli) help(args []string) int {
	switch len(args) {
	case 0:
		c.printCommands(c.stdout)
		return 0
	case 1:
		if cmd := lookup(args[0]); cmd != nil {
			return c.exit(cmd, c.run(cmd, []string{"-h"}))
		}
	}
	fmt.Fprintf(c.stderr, "cookiesession help %s: unknown help topic. Run 'cookiesession help'.\n", strings.Join(args, " "))
	return 2
}

func (c *cli) printCommands(w io.Writer) {
	fmt.Fprint(w, "Cookiesession makes and rotates session keys, checks a key ring, and\nopens session cookies.\n\nUsage:\n\n\tcookiesession <command> [arguments]\n\nThe commands are:\n\n")
	for _, cmd := range commands {
		fmt.Fprintf(w, "\t%-11s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprint(w, "\nUse \"cookiesession help <command>\" for more information about a command.\n")
}

func lookup(name string) *command {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd
		}
	}
	return nil
}

func (c *cli) printHelp(cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(c.stdout, "usage: cookiesession %s %s\n\n%s\n", cmd.name, cmd.usage, cmd.doc)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(c.stdout, "\nFlags:")
		fs.SetOutput(c.stdout)
		fs.PrintDefaults()
	}
}

// envFlag adds the -env flag, which names the variable holding the ring.
func envFlag(fs *flag.FlagSet) *string {
	return fs.String("env", "SESSION_KEYS", "read the key ring from the environment variable `NAME`")
}
