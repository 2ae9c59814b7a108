package cookiesession

// CheckNoSecret is checkNoSecret, for the tests of package
// cookiesession_test.
var CheckNoSecret = checkNoSecret
