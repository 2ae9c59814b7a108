package site

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cookiesession/cookiesession/examples/internal/serve"
)

// GorillaKeys returns the hash and block keys of the gorilla/sessions
// store, base64 in GORILLA_HASH_KEY and GORILLA_BLOCK_KEY; no block key is
// a store that only signs. Both programs need them: the old one to seal
// its sessions, the new one to read them until migration ends.
func GorillaKeys() (hashKey, blockKey []byte, err error) {
	hashKey, err = base64.StdEncoding.DecodeString(os.Getenv("GORILLA_HASH_KEY"))
	if err != nil || len(hashKey) == 0 {
		return nil, nil, errors.New("GORILLA_HASH_KEY must hold the store's hash key in base64")
	}
	if blockKey, err = base64.StdEncoding.DecodeString(os.Getenv("GORILLA_BLOCK_KEY")); err != nil {
		return nil, nil, errors.New("GORILLA_BLOCK_KEY must hold the store's block key in base64, or nothing")
	}
	if len(blockKey) == 0 {
		blockKey = nil
	}
	return hashKey, blockKey, nil
}

// Listener is where a command serves, from its flags -addr, -cert and
// -key.
type Listener struct{ addr, cert, key *string }

// ListenerFlags defines the flags -addr, -cert and -key.
func ListenerFlags() Listener {
	return Listener{
		addr: flag.String("addr", "127.0.0.1:8080", "the address to listen on"),
		cert: flag.String("cert", "", "the TLS certificate file, PEM"),
		key:  flag.String("key", "", "the TLS key file, PEM"),
	}
}

// Serve serves h on l's address, over TLS with the certificate and key in
// l's files if they are set, until the process gets SIGINT or SIGTERM;
// then it shuts down gracefully. It logs the URL it serves.
func (l Listener) Serve(name string, h http.Handler) error {
	addr, certFile, keyFile := *l.addr, *l.cert, *l.key
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("loading the TLS certificate: %w", err)
		}
		scheme, ln = "https", tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Printf("%s: serving on %s://%s", name, scheme, ln.Addr())
	err = serve.Graceful(ctx, ln, serve.Server(h), 10*time.Second)
	log.Printf("%s: stopped", name)
	return err
}
