package cookiesession

// ErrLegacyPayload is errLegacyPayload, for the tests of package
// cookiesession_test.
var ErrLegacyPayload = errLegacyPayload
