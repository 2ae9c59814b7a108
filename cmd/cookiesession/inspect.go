package main

import "flag"

var inspectCommand = &command{
	name:    "inspect",
	usage:   "[-name COOKIE] [-header NAME] [-env NAME] [-at TIME] [-json] [VALUE | -]",
	summary: "open a session cookie or token and print what it holds",
	doc:     `Inspect opens a session cookie.`,
	maxArgs: 1,
	flags: func(fs *flag.FlagSet) func(*cli, []string) error {
		return func(c *cli, _ []string) error { return nil }
	},
}
