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
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/api/apiapp"
)

const keysVar = "SESSION_KEYS"

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr); err != nil {
		log.Fatalf("api: %v", err)
	}
}

func run(ctx context.Context, addr string) error {
	keys, err := loadKeys()
	if err != nil {
		return err
	}
	srv, err := newServer(keys)
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
	log.Printf("api: sealing sessions with key %s; serving http://%s", keys.PrimaryID(), ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Printf("api: shutting down")
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

// loadKeys reads the key ring from SESSION_KEYS, or falls back to the
// development key with a warning; run serves that key on loopback only.
func loadKeys() (*cookiesession.KeyRing, error) {
	if v, ok := os.LookupEnv(keysVar); ok && strings.TrimSpace(v) != "" {
		return cookiesession.KeyRingFromEnv(keysVar)
	}
	keys := cookiesession.InsecureDevelopmentKeyRing()
	log.Printf("api: WARNING: %s is not set: sealing with the published development key %s.", keysVar, keys.PrimaryID())
	log.Printf("api: WARNING: anyone can read and forge these sessions; use them on this machine only.")
	log.Printf("api: WARNING: for real keys: export %s=$(head -c 32 /dev/urandom | base64)", keysVar)
	return keys, nil
}

// checkDevKeyListener refuses to serve the development key on a listener
// that is not bound to a loopback address: other machines could reach it.
// It checks the address actually bound, so a name such as localhost that
// resolves elsewhere, or an empty host (":8081", every interface), is
// refused too.
func checkDevKeyListener(keys *cookiesession.KeyRing, ln net.Listener) error {
	if keys.PrimaryID() != cookiesession.InsecureDevelopmentKeyRing().PrimaryID() {
		return nil
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to serve the published development key on %s, which other machines can reach, "+
		"and anyone can forge sessions under that key. Set %s to your own keys "+
		"(%s=$(head -c 32 /dev/urandom | base64)), or listen on 127.0.0.1", ln.Addr(), keysVar, keysVar)
}

// newServer returns the API's server: the app with timeouts that keep slow
// or idle clients from holding connections.
func newServer(keys *cookiesession.KeyRing) (*http.Server, error) {
	h, err := apiapp.New(keys, cookiesession.Config{})
	if err != nil {
		return nil, err
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10, // a full session cookie or token is 4 KiB
		ErrorLog:          log.Default(),
	}, nil
}
