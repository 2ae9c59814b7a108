// Command api serves a small JSON API whose sessions live in cookiesession
// cookies for browsers, and in the Session-Token header for clients that
// keep no cookies:
//
//	POST /login       {"user": "alice"}        sign in (no password: an example)
//	GET  /me                                   who is signed in, and the cart
//	POST /cart/items  {"sku": "A-1", "qty": 2} add to the cart
//	POST /logout                               end the session
//
// Run it with
//
//	go run ./examples/api
//
// and call it with curl (see the README). With SESSION_KEYS unset it seals
// with the published development key, which anyone can use to read and
// forge its sessions, and so it serves only on loopback addresses. Give it
// real keys to listen elsewhere:
//
//	SESSION_KEYS=$(head -c 32 /dev/urandom | base64) go run ./examples/api -addr :8081
//
// Browsers and curl keep Secure and __Host- cookies from http://127.0.0.1
// and http://localhost; anywhere else, serve it over HTTPS.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/api/apiapp"
	"github.com/cookiesession/cookiesession/examples/internal/serve"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr); err != nil {
		log.Fatalf("api: %v", err)
	}
}

// run serves the API on addr until ctx is done.
func run(ctx context.Context, addr string) error {
	keys, err := serve.Keys("api")
	if err != nil {
		return err
	}
	h, err := apiapp.New(keys, cookiesession.Config{})
	if err != nil {
		return err
	}
	return serve.Run(ctx, "api", addr, keys, h)
}
