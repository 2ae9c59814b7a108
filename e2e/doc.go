// Package e2e drives the cookiesession demo (examples/demo) in a real
// browser: headless Chromium under the DevTools protocol, through
// github.com/chromedp/chromedp. It is a module of its own so that the
// library's module needs no browser driver.
//
//	cd e2e && go test -v ./...
//
// The tests need Debian's chromium (apt-get install -y chromium) and skip
// without it. Set E2E_SCREENSHOT_DIR to keep the screenshots they take.
package e2e
