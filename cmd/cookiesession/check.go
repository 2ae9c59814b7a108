package main

import (
	"flag"
	"fmt"

	"github.com/cookiesession/cookiesession"
)

var checkCommand = &command{
	name:    "check",
	usage:   "[-env NAME]",
	summary: "check the key ring in the environment",
	doc: `Check parses the key ring in SESSION_KEYS as a service does at start-up, with
cookiesession.KeyRingFromEnv, and prints each key's position and ID, and
which key seals. It never prints a key.

On a bad ring (a key of the wrong length or not random, a repeated key, a
key published in cookiesession's documentation, an unset variable) it
prints the library's error, which names the key's position, and exits 1.`,
	flags: func(fs *flag.FlagSet) func(*cli, []string) error {
		env := envFlag(fs)
		return func(c *cli, _ []string) error {
			ring, err := cookiesession.KeyRingFromEnv(*env)
			if err != nil {
				return err
			}
			keys := ring.Stats()
			for i, k := range keys {
				role := "opens only"
				if k.Primary {
					role = "primary: seals and opens"
				}
				fmt.Fprintf(c.stdout, "key %d  %s  %s\n", i+1, k.ID, role)
			}
			fmt.Fprintf(c.stdout, "%s: %s, good; %s seals.\n", *env, plural(len(keys), "key"), ring.PrimaryID())
			return nil
		}
	},
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
