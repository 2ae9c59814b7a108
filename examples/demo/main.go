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
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/demo/demoapp"
)

const keysVar = "SESSION_KEYS"

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr); err != nil {
		log.Fatalf("demo: %v", err)
	}
}

func run(ctx context.Context, addr string) error {
	keys, err := loadKeys(addr)
	if err != nil {
		return err
	}
	srv, err := newServer(addr, keys)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if err := checkDevKeyListener(keys, ln); err != nil {
		ln.Close()
		return err
	}
	log.Printf("demo: sealing sessions with key %s", keys.PrimaryID())
	log.Printf("demo: open http://%s", ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Printf("demo: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loadKeys reads the key ring from SESSION_KEYS. Without it, it falls back
// to the development key, with a warning, if addr is a loopback address.
func loadKeys(addr string) (*cookiesession.KeyRing, error) {
	if v, ok := os.LookupEnv(keysVar); ok && strings.TrimSpace(v) != "" {
		return cookiesession.KeyRingFromEnv(keysVar)
	}
	if err := checkDevKeyAddr(addr); err != nil {
		return nil, err
	}
	keys := cookiesession.InsecureDevelopmentKeyRing()
	log.Printf("demo: WARNING: %s is not set: sealing with the published development key %s.", keysVar, keys.PrimaryID())
	log.Printf("demo: WARNING: anyone can read and forge these cookies; use them on this machine only.")
	log.Printf("demo: WARNING: for real keys: export %s=$(head -c 32 /dev/urandom | base64)", keysVar)
	return keys, nil
}

// checkDevKeyAddr refuses to serve the development key on addr unless
// addr listens only on loopback: 127.0.0.0/8, ::1 or localhost. An empty
// host (":8080") listens on every interface and is refused.
func checkDevKeyAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid address %q: %v", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Unmap().IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to listen on %s with the published development key: other machines could reach it, "+
		"and anyone can forge cookies under that key. Set %s to your own keys "+
		"(%s=$(head -c 32 /dev/urandom | base64)), or listen on 127.0.0.1", addr, keysVar, keysVar)
}

// checkDevKeyListener checks the address actually bound, in case a name
// such as localhost resolved to an address other machines can reach.
func checkDevKeyListener(keys *cookiesession.KeyRing, ln net.Listener) error {
	if keys.PrimaryID() != cookiesession.InsecureDevelopmentKeyRing().PrimaryID() {
		return nil
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to serve the published development key on %s, which is not a loopback address; set %s", ln.Addr(), keysVar)
}

// newServer returns the demo's server: the app with timeouts that keep slow
// or idle clients from holding connections.
func newServer(addr string, keys *cookiesession.KeyRing) (*http.Server, error) {
	h, err := demoapp.New(keys)
	if err != nil {
		return nil, err
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10, // a full session cookie is 4 KiB
		ErrorLog:          log.Default(),
	}, nil
}
