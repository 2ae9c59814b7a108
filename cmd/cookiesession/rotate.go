package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/cookiesession/cookiesession"
)

var rotateCommand = &command{
	name:    "rotate",
	usage:   "[-env NAME] [-now]",
	summary: "print the key rings of a staged key rotation",
	doc: `Rotate makes a new key and prints the value of SESSION_KEYS for each phase of
a rotation that logs no one out, each after a line saying when to deploy it
to every replica:

	1. now: the new key opens cookies, the current primary still seals them;
	2. once every replica runs phase 1: the new key seals, and cookies under
	   the old keys are re-sealed under it on their next use;
	3. once the old keys' opens (Manager.Stats) stop growing and the session
	   lifetime has passed since phase 2: the new key alone.

Rotate never prints a key it did not make. In the lines it prints,
$SESSION_KEYS stands for the value in use before phase 1: paste them where
the variable is expanded (a shell, a Compose file), or write the current
keys in its place. Every key of the current ring, the primary and any left
from an earlier rotation, keeps opening cookies until phase 3.

With -now, rotate prints a ring of the new key alone. Deployed, it ends
every session at once: the way to log everyone out.

A bad ring in the environment prints the library's error and exits 1.`,
	flags: func(fs *flag.FlagSet) func(*cli, []string) error {
		env := envFlag(fs)
		now := fs.Bool("now", false, "print a ring of the new key alone, which ends every session")
		return func(c *cli, _ []string) error {
			ring, err := cookiesession.KeyRingFromEnv(*env)
			if err != nil {
				return err
			}
			keys, err := newKeys(1, os.Getenv(*env))
			if err != nil {
				return err
			}
			p := rotation{env: *env, old: ring, key: keys[0]}
			if err := p.setNewID(); err != nil {
				return err
			}
			if *now {
				p.printNow(c)
			} else {
				p.printPhases(c)
			}
			return nil
		}
	},
}

// A rotation is the plan from the ring in env to a ring of key alone.
type rotation struct {
	env   string                 // the variable's name
	old   *cookiesession.KeyRing // the ring in use
	key   string                 // the new key, encoded
	newID string
}

func (p *rotation) setNewID() error {
	r, err := cookiesession.ParseKeyRing(p.key)
	if err != nil {
		return err
	}
	p.newID = r.PrimaryID()
	return nil
}

func (p *rotation) printPhases(c *cli) {
	cur := "$" + p.env
	fmt.Fprintf(c.stdout, "# Rotation from %s to the new key %s. Deploy each phase to every replica.\n", keyIDs(p.old), p.newID)
	fmt.Fprintf(c.stdout, "# %s stands for the value in use now, which this command does not print.\n", cur)
	fmt.Fprintf(c.stdout, "# Phase 1, now: the new key opens cookies; %s still seals them.\n", p.old.PrimaryID())
	fmt.Fprintf(c.stdout, "%s=%s,%s\n", p.env, cur, p.key)
	fmt.Fprintf(c.stdout, "# Phase 2, once every replica runs phase 1: the new key seals; cookies under %s still open and are re-sealed under %s on their next use.\n", keyIDs(p.old), p.newID)
	fmt.Fprintf(c.stdout, "%s=%s,%s\n", p.env, p.key, cur)
	fmt.Fprintf(c.stdout, "# Phase 3, once the opens of %s stop growing and the session lifetime has passed since every replica runs phase 2: %[1]s retired, the new key alone.\n", keyIDs(p.old))
	fmt.Fprintf(c.stdout, "%s=%s\n", p.env, p.key)
}

func (p *rotation) printNow(c *cli) {
	fmt.Fprintf(c.stdout, "# WARNING: this ring ends every session: every user must sign in again.\n")
	fmt.Fprintf(c.stdout, "# Replicas running it open no cookie sealed under %s; replicas still on the old ring open none sealed under %s.\n", keyIDs(p.old), p.newID)
	fmt.Fprintf(c.stdout, "%s=%s\n", p.env, p.key)
}
