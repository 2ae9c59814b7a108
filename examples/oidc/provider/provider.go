// Package provider runs a real OpenID provider on this machine for the
// example: the example OpenID provider of github.com/zitadel/oidc
// (packages exampleop and storage), which serves discovery, a login page,
// signed ID tokens, refresh tokens that rotate on every use, token
// revocation (RFC 7009) and an end-session endpoint. Its in-memory storage
// is wrapped, not changed, to register one confidential web client, to
// know the users [Alice] and [Bob], to put groups in ID tokens, to shorten
// access tokens, and to revoke grants and disable users from a small admin
// page or from Go.
//
// It listens on 127.0.0.1 and names itself http://localhost:PORT/, so
// that an application served on 127.0.0.1 is another site in the
// browser's eyes, as a real provider would be.
package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
)

// Config describes the one client the provider knows.
type Config struct {
	// Addr is the address to listen on. Default "127.0.0.1:0": a port
	// the system picks.
	Addr string

	ClientID, ClientSecret string
	RedirectURI            string // the client's one redirect URI
	PostLogoutRedirectURI  string // the client's one post_logout_redirect_uri

	// AccessTokenLifetime, if positive, shortens access tokens from the
	// example storage's 5 minutes: the token response's expires_in, and
	// what the userinfo endpoint accepts.
	AccessTokenLifetime time.Duration
}

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is the provider's issuer URL, http://localhost:PORT/, where
	// its discovery document is at .well-known/openid-configuration.
	Issuer string

	clientID string
	store    *store
	srv      *http.Server
	served   chan error
	close    sync.Once
	closeErr error
}

// Start starts a provider for cfg's client, with the users Alice and Bob.
// Close stops it.
func Start(cfg Config) (*Provider, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.RedirectURI == "" || cfg.PostLogoutRedirectURI == "" {
		return nil, errors.New("provider: ClientID, ClientSecret, RedirectURI and PostLogoutRedirectURI are required")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	issuer := fmt.Sprintf("http://localhost:%d/", ln.Addr().(*net.TCPAddr).Port)
	st := newStore(cfg, Alice, Bob)
	p := &Provider{Issuer: issuer, clientID: cfg.ClientID, store: st, served: make(chan error, 1)}
	mux := http.NewServeMux()
	mux.Handle("/", exampleop.SetupServer(issuer, st, nil, false))
	mux.Handle("/admin", adminHandler(p))
	mux.Handle("/admin/", adminHandler(p))
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { p.served <- p.srv.Serve(ln) }()
	return p, nil
}

// Close stops the provider at once: from then on, connections to it are
// refused. Closing it again does nothing.
func (p *Provider) Close() error {
	p.close.Do(func() {
		p.closeErr = p.srv.Close()
		<-p.served
	})
	return p.closeErr
}

// RevokeGrants ends every grant the user gave the client: their refresh
// and access tokens stop working, as when an administrator signs the user
// out everywhere.
func (p *Provider) RevokeGrants(username string) error {
	u := p.store.users.GetUserByUsername(username)
	if u == nil {
		return fmt.Errorf("provider: no user %q", username)
	}
	return p.store.TerminateSession(context.Background(), u.ID, p.clientID)
}

// SetDisabled disables or enables a user. A disabled user cannot sign in,
// their refresh tokens are refused with invalid_grant, and their access
// tokens are refused by the userinfo endpoint.
func (p *Provider) SetDisabled(username string, disabled bool) error {
	u := p.store.users.GetUserByUsername(username)
	if u == nil {
		return fmt.Errorf("provider: no user %q", username)
	}
	p.store.setDisabled(u.ID, disabled)
	return nil
}

// Disabled reports whether the user is disabled.
func (p *Provider) Disabled(username string) bool {
	u := p.store.users.GetUserByUsername(username)
	return u != nil && p.store.isDisabled(u.ID)
}
