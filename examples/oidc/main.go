// Command oidc signs users in with OpenID Connect against a real OpenID
// provider that it starts on this machine, and keeps each sign-in in a
// cookiesession cookie:
//
//	go -C examples/oidc run .   # from the repository root; go run . in examples/oidc
//
// then open the URL it prints and sign in as one of the users it lists.
// The provider is the example provider of github.com/zitadel/oidc, on
// http://localhost at a port the system picks; its admin page revokes a
// user's sessions or disables the user, which the application notices at
// its next check of the session. See README.md.
//
// With SESSION_KEYS unset the application seals with the published
// development key, which anyone can use to read and forge its cookies,
// and so it listens only on loopback addresses.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cookiesession/cookiesession/examples/internal/serve"
	"github.com/cookiesession/cookiesession/examples/oidc/oidcapp"
	"github.com/cookiesession/cookiesession/examples/oidc/provider"
)

// The client the provider registers for the application. The secret is
// published with this example: do not use it.
const (
	clientID     = "cookiesession-example"
	clientSecret = "example-client-secret-do-not-use"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "the application's address, host:port as browsers reach it")
	accessTTL := flag.Duration("access-token-lifetime", time.Minute, "the lifetime of the provider's access tokens")
	every := flag.Duration("revalidate-every", oidcapp.DefaultRevalidateEvery, "how often the application checks a session (whole seconds)")
	flag.Parse()
	// The provider logs every request with slog at level Info: keep its
	// warnings only, and the log package's lines, which SetDefault would
	// send through the same handler, as they were.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	log.SetOutput(os.Stderr)
	log.SetFlags(log.LstdFlags)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *accessTTL, *every); err != nil {
		log.Fatalf("oidc: %v", err)
	}
}

// run starts the provider and serves the application on addr until ctx is
// done.
func run(ctx context.Context, addr string, accessTTL, every time.Duration) error {
	keys, err := serve.Keys("oidc")
	if err != nil {
		return err
	}
	base := "http://" + addr
	p, err := provider.Start(provider.Config{
		ClientID:              clientID,
		ClientSecret:          clientSecret,
		RedirectURI:           base + "/callback",
		PostLogoutRedirectURI: base + "/signed-out",
		AccessTokenLifetime:   accessTTL,
	})
	if err != nil {
		return err
	}
	defer p.Close()
	app, err := oidcapp.New(ctx, oidcapp.Config{
		Keys:            keys,
		Issuer:          p.Issuer,
		ClientID:        clientID,
		ClientSecret:    clientSecret,
		BaseURL:         base,
		RevalidateEvery: every,
	})
	if err != nil {
		return err
	}
	fmt.Printf("OpenID provider: %s (admin page: %sadmin)\n", p.Issuer, p.Issuer)
	fmt.Printf("Application:     %s\n", base)
	fmt.Printf("Users (published passwords, do not use elsewhere):\n")
	for _, u := range []provider.User{provider.Alice, provider.Bob} {
		fmt.Printf("  %-6s %-22s %d groups\n", u.Username, u.Password, len(u.Groups))
	}
	fmt.Printf("Access tokens live %v; sessions are checked every %v.\n", accessTTL, every)
	return serve.Run(ctx, "oidc", addr, keys, app)
}
