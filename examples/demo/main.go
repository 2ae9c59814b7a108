// Command demo is a small web app whose whole session lives in one
// cookiesession cookie: sign in (with or without "remember me"), count, and
// add notes until the cookie would be too large for a browser to store.
//
//	go run ./examples/demo
//
// then open http://127.0.0.1:8080. With SESSION_KEYS unset it seals with
// the published development key, which anyone can use to read and forge
// its cookies, and so it listens only on loopback addresses. Give it real
// keys to listen elsewhere:
//
//	SESSION_KEYS=$(head -c 32 /dev/urandom | base64) go run ./examples/demo -addr :8080
//
// Browsers keep Secure and __Host- cookies from http://127.0.0.1 and
// http://localhost, so the demo runs with cookiesession's secure defaults;
// anywhere else, serve it over HTTPS.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/cookiesession/cookiesession/examples/demo/demoapp"
	"github.com/cookiesession/cookiesession/examples/internal/serve"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr); err != nil {
		log.Fatalf("demo: %v", err)
	}
}

// run serves the demo on addr until ctx is done.
func run(ctx context.Context, addr string) error {
	keys, err := serve.Keys("demo")
	if err != nil {
		return err
	}
	h, err := demoapp.New(keys)
	if err != nil {
		return err
	}
	return serve.Run(ctx, "demo", addr, keys, h)
}
