package main

import (
	"encoding/base64"
	"flag"
	"fmt"
	"strings"

	"github.com/cookiesession/cookiesession"
)

const maxKeygen = 100

var keygenCommand = &command{
	name:    "keygen",
	usage:   "[-n N]",
	summary: "print new keys",
	doc: `Keygen prints N new keys, one a line. Each is 32 random bytes in base64url
without padding, the form cookiesession.ParseKeyRing reads:

	SESSION_KEYS=$(cookiesession keygen)

To change the keys of a running service without logging anyone out, use
'cookiesession rotate' instead.`,
	flags: func(fs *flag.FlagSet) func(*cli, []string) error {
		n := fs.Int("n", 1, fmt.Sprintf("print `N` keys, 1 to %d", maxKeygen))
		return func(c *cli, _ []string) error {
			if *n < 1 || *n > maxKeygen {
				return &usageError{fmt.Sprintf("-n %d: want 1 to %d keys", *n, maxKeygen)}
			}
			keys, err := newKeys(*n, "")
			if err != nil {
				return err
			}
			for _, k := range keys {
				fmt.Fprintln(c.stdout, k)
			}
			return nil
		}
	},
}

// newKeys returns n new keys, encoded as keygen prints them, that form a
// valid ring together with the keys of ring, a SESSION_KEYS value (or "").
// ParseKeyRing refuses a key whose ID another key has, one chance in 2³²
// for each pair; such a set is drawn again.
func newKeys(n int, ring string) ([]string, error) {
	var err error
	for range 3 {
		keys := make([]string, n)
		for i := range keys {
			keys[i] = base64.RawURLEncoding.EncodeToString(cookiesession.GenerateKey())
		}
		all := keys
		if ring != "" {
			all = append([]string{ring}, keys...)
		}
		if _, err = cookiesession.ParseKeyRing(strings.Join(all, ",")); err == nil {
			return keys, nil
		}
	}
	return nil, err
}
