package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/cookiesession/cookiesession"
)

var inspectCommand = &command{
	name:    "inspect",
	usage:   "[-name COOKIE] [-header NAME] [-env NAME] [-at TIME] [-json] [VALUE | -]",
	summary: "open a session cookie or token and print what it holds",
	doc: `Inspect opens a session cookie with the key ring in SESSION_KEYS and prints
the ID of the key that sealed it and whether that key is the primary, when
the session was issued, expires and was last renewed, its session ID,
whether the cookie is persistent, every entry as JSON and the flashes.

VALUE may be:

	the cookie's value:   AbPTa3Mi8TWg93XC...
	name=value pairs:     __Host-session=AbPTa3Mi8TWg93XC...
	a Cookie line:        Cookie: theme=dark; __Host-session=AbPTa3Mi8TWg93XC...
	a Set-Cookie line:    Set-Cookie: __Host-session=AbPTa3Mi8TWg93XC...; Path=/; ...
	a token header line:  Session-Token: AbPTa3Mi8TWg93XC...

With no VALUE, or "-", inspect reads standard input, which may also hold a
whole HTTP message as curl -i or curl -v prints it; there, the Cookie and
Set-Cookie lines count, and the token header named by -header. Every cookie
named COOKIE is opened. A session split over several cookies (Config.MaxCookies)
is opened from all of them: give every Set-Cookie line of the response, or the
whole Cookie line, and inspect joins COOKIE.1, COOKIE.2 and so on to COOKIE. A token is opened with COOKIE too: a token is
sealed for the cookie name of the Manager that issued it.

A cookie that does not open prints the reason on standard error: the
library's, with the key's ID for an unknown key and the time for an
expired one. Inspect then exits 1. The contents of an authentic cookie
that has expired, or was issued in the future, are printed all the same.

With -json, inspect prints one JSON object a line for each cookie: the
fields of cookiesession.Contents, and for a cookie that does not open,
"error" and "reason", with "key_id" and "expired_at" where known.

Inspect prints key IDs, never keys.`,
	maxArgs: 1,
	flags: func(fs *flag.FlagSet) func(*cli, []string) error {
		o := &inspection{at: time.Now()}
		fs.StringVar(&o.name, "name", "__Host-session", "the cookie's `COOKIE` name (Config.Name), for tokens too")
		fs.StringVar(&o.header, "header", "", "read tokens from the header `NAME` (Config.TokenHeader) in a message of several lines")
		o.env = envFlag(fs)
		fs.Func("at", "open the cookie as at `TIME`, in RFC 3339, instead of now", func(s string) error {
			t, err := time.Parse(time.RFC3339, s)
			o.at = t
			return err
		})
		fs.BoolVar(&o.json, "json", false, "print JSON, one object a line for each cookie")
		return o.run
	},
}

// An inspection is one run of inspect.
type inspection struct {
	name, header string
	env          *string
	at           time.Time
	json         bool
	ring         *cookiesession.KeyRing
}

// An opened value is a found value and what opening it gave.
type opened struct {
	found
	contents *cookiesession.Contents // nil if the value did not open, or deletes
	err      error                   // why it did not open, or nil
}

func (o *inspection) run(c *cli, args []string) error {
	var err error
	if o.ring, err = cookiesession.KeyRingFromEnv(*o.env); err != nil {
		return err
	}
	input, err := c.readInput(args)
	if err != nil {
		return err
	}
	s := &scanner{name: o.name, header: o.header, now: o.at}
	values, err := s.scan(input)
	if err != nil {
		return err
	}
	if len(s.twice) > 0 {
		return fmt.Errorf("the input holds %s twice, with different values: give the cookies of one request or response", strings.Join(s.twice, ", "))
	}
	failed := false
	for i, f := range values {
		v := o.open(f, s)
		if o.json {
			err = c.printJSON(o.report(v))
		} else {
			if i > 0 {
				fmt.Fprintln(c.stdout)
			}
			o.printContents(c, v)
		}
		if err != nil {
			return err
		}
		if v.err != nil {
			failed = true
			o.printFailure(c, v, i, len(values))
		}
	}
	if failed {
		return errSilent
	}
	return nil
}

func (o *inspection) open(f found, s *scanner) opened {
	if f.deletes {
		return opened{found: f}
	}
	values := []string{f.value}
	if f.from != fromToken {
		values = s.withChunks(f.value)
	}
	contents, err := o.ring.InspectChunks(o.name, values, o.at)
	return opened{found: f, contents: contents, err: err}
}

// printFailure prints why v did not open on standard error, with the
// value's place among several.
func (o *inspection) printFailure(c *cli, v opened, i, n int) {
	msg := strings.TrimPrefix(o.explain(v), "cookiesession: ")
	if n > 1 {
		msg = fmt.Sprintf("value %d of %d: %s", i+1, n, msg)
	}
	c.fail(errors.New(msg))
}

// explain returns the library's error for v, with the detail an operator
// acts on: which key is missing, when the cookie expired.
func (o *inspection) explain(v opened) string {
	msg := v.err.Error()
	inv := invalid(v.err)
	if inv == nil {
		return msg
	}
	switch inv.Reason {
	case cookiesession.ReasonUnknownKey:
		msg += fmt.Sprintf(" (%s holds %s)", *o.env, keyIDs(o.ring))
	case cookiesession.ReasonAuth:
		msg += fmt.Sprintf(" (tampered with, or not sealed for %s)", o.name)
	case cookiesession.ReasonExpired:
		if v.contents != nil {
			msg += " at " + o.when(v.contents.ExpiresAt)
		}
	case cookiesession.ReasonFuture:
		if v.contents != nil {
			msg += ": issued at " + o.when(v.contents.IssuedAt)
		}
	}
	return msg
}

// when formats t in UTC, with how long before or after the inspection.
func (o *inspection) when(t time.Time) string {
	return fmt.Sprintf("%s (%s)", t.UTC().Format(time.RFC3339), relative(t.Sub(o.at)))
}

// relative says how far away a time d from now is, to two units.
func relative(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d == 0:
		return "now"
	case d < 0:
		return short(-d) + " ago"
	}
	return "in " + short(d)
}

// short formats d, a positive whole number of seconds, in its two largest
// units, leaving out a zero second unit: 2d3h, 23h59m, 2h, 5m30s, 10s.
func short(d time.Duration) string {
	units := []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	for i, u := range units[:3] {
		if d < u.size {
			continue
		}
		s := fmt.Sprintf("%d%s", d/u.size, u.name)
		if next := units[i+1]; d%u.size >= next.size {
			s += fmt.Sprintf("%d%s", d%u.size/next.size, next.name)
		}
		return s
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
