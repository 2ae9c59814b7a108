// Package serve runs the servers of cookiesession's examples: the key ring
// from SESSION_KEYS, or the published development key on loopback only;
// server timeouts; and a graceful shutdown.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cookiesession/cookiesession"
)

// KeysVar is the environment variable that holds the key ring.
const KeysVar = "SESSION_KEYS"

// Keys returns the key ring in SESSION_KEYS. If the variable is unset or
// empty, it returns the published development key, logging warnings that
// start with name; Run serves that key on loopback addresses only.
func Keys(name string) (*cookiesession.KeyRing, error) {
	if v, ok := os.LookupEnv(KeysVar); ok && strings.TrimSpace(v) != "" {
		return cookiesession.KeyRingFromEnv(KeysVar)
	}
	keys := cookiesession.InsecureDevelopmentKeyRing()
	log.Printf("%s: WARNING: %s is not set: sealing with the published development key %s.", name, KeysVar, keys.PrimaryID())
	log.Printf("%s: WARNING: anyone can read and forge these sessions; use them on this machine only.", name)
	log.Printf("%s: WARNING: for real keys: export %s=$(head -c 32 /dev/urandom | base64)", name, KeysVar)
	return keys, nil
}

// Run serves h on addr until ctx is done, then shuts down gracefully. It
// refuses to serve the development key on an address other machines can
// reach.
func Run(ctx context.Context, name, addr string, keys *cookiesession.KeyRing, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if err := checkListener(keys, ln); err != nil {
		ln.Close()
		return err
	}
	log.Printf("%s: sealing sessions with key %s; open http://%s", name, keys.PrimaryID(), ln.Addr())
	err = Graceful(ctx, ln, Server(h), 10*time.Second)
	log.Printf("%s: stopped", name)
	return err
}

// Server returns a server for h with timeouts that keep slow or idle
// clients from holding connections, and room in the request's headers for
// a full session cookie or token.
func Server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10, // a full session cookie or token is 4 KiB
		ErrorLog:          log.Default(),
	}
}

// Graceful serves srv on ln until ctx is done, then shuts it down: it stops
// accepting connections at once (a proxy in front sees the connection
// refused and tries elsewhere) and waits up to grace for the requests in
// progress to finish.
func Graceful(ctx context.Context, ln net.Listener, srv *http.Server, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// checkListener refuses to serve the development key on a listener that is
// not bound to a loopback address. It checks the address actually bound, so
// an empty host (":8080", every interface) or a name such as localhost that
// resolves elsewhere is refused too.
func checkListener(keys *cookiesession.KeyRing, ln net.Listener) error {
	if keys.PrimaryID() != cookiesession.InsecureDevelopmentKeyRing().PrimaryID() {
		return nil
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to serve the published development key on %s, which other machines can reach, "+
		"and anyone can forge sessions under that key. Set %s to your own keys "+
		"(%s=$(head -c 32 /dev/urandom | base64)), or listen on 127.0.0.1", ln.Addr(), KeysVar, KeysVar)
}
