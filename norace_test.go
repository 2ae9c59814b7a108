//go:build !race

package cookiesession_test

const raceEnabled = false
