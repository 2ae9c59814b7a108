// Package e2e drives the cookiesession examples in a real browser: the demo
// (examples/demo) through a whole session, and the demo and the JSON API
// (examples/api) against cross-site requests from pages served on another
// port (another origin, the same site) and on localhost (another site),
// and what no guard stops: a server on another port of the same host that
// receives the demo's cookie and replaces it.
// Chromium runs headless under the DevTools protocol, through
// github.com/chromedp/chromedp. It is a module of its own so that the
// library's module needs no browser driver.
//
//	cd e2e && go test -v ./...
//
// The tests need Debian's chromium (apt-get install -y chromium); without
// it they fail when CI is set and skip otherwise, and ./test.sh lists them.
// Set E2E_SCREENSHOT_DIR to keep the screenshots they take.
package e2e
