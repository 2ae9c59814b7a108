// Package oidcapp is a web application that signs its users in with
// OpenID Connect and keeps everything about the sign-in in a cookiesession
// cookie: no session store.
//
// Sign-in is the authorization code flow with PKCE (S256). POST /login
// keeps a state, a nonce and the PKCE verifier in the session and sends the
// browser to the provider; GET /callback compares the state in constant
// time, redeems the code with the verifier, verifies the ID token with
// go-oidc and compares its nonce, then regenerates the session, clears it,
// and stores the claims the application shows (name, email, groups), the
// access token, the refresh token and the access token's expiry. The raw
// ID token is not kept. A session takes up to three cookies: that of a
// user in many groups does not fit in one.
//
// Config.Revalidate refreshes the access token when it would expire
// before the next check: a refusal from the provider (the grant revoked,
// the user disabled) ends the session; a provider that cannot be reached
// keeps it while its last check that passed is at most OutageGrace old.
// POST /logout revokes the refresh token at the provider, deletes the
// cookies, and ends the session at the provider's end-session endpoint,
// which sends the browser back to GET /signed-out.
package oidcapp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/cookiesession/cookiesession"
)

// CookieName is the application's session cookie. Cookies ignore ports,
// so an application must not share its cookie name with another one on
// the same host.
const CookieName = "__Host-oidc"

// Defaults of Config.
const (
	DefaultRevalidateEvery = 30 * time.Second
	DefaultOutageGrace     = 5 * time.Minute
	DefaultMaxSize         = maxCookies * cookiesession.MaxCookieSize
)

// maxCookies is the most cookies a session takes: the session of a user
// in many groups does not fit in one.
const maxCookies = 3

// Config configures the application.
type Config struct {
	Keys *cookiesession.KeyRing // seals the sessions

	Issuer                 string // the provider's issuer URL; New reads its discovery document
	ClientID, ClientSecret string // a confidential client of the provider

	// BaseURL is the application's URL as browsers reach it, such as
	// http://127.0.0.1:8080. The provider must accept BaseURL+"/callback"
	// as a redirect URI and BaseURL+"/signed-out" as a
	// post_logout_redirect_uri.
	BaseURL string

	// RevalidateEvery is how often a session is checked: its access token
	// refreshed if it would expire before the next check. In whole
	// seconds; default DefaultRevalidateEvery.
	RevalidateEvery time.Duration

	// OutageGrace is how long after its last check that passed
	// (cookiesession's Session.RevalidatedAt, or the sign-in) a session
	// stays signed in while the provider cannot be reached. Default
	// DefaultOutageGrace.
	OutageGrace time.Duration

	// MaxSize is the most bytes a session's cookies take together, over
	// cookiesession.MaxCookieSize: cookiesession's Config.MaxSize, with
	// sessions split over up to three cookies. Default DefaultMaxSize, three
	// full cookies, as the application serves browsers directly. Behind
	// nginx use 6144, cookiesession's default, which keeps the Cookie
	// header within nginx's 8 KB line with room for other cookies.
	MaxSize int

	// HTTPClient makes the calls to the provider. Default: a client with
	// a 10-second timeout.
	HTTPClient *http.Client

	// Time returns the current time for the application's decisions: a
	// sign-in's age, the access token's expiry, the outage bound. Default
	// time.Now.
	Time func() time.Time
}

// App is the application. Its ServeHTTP serves every page.
type App struct {
	cfg        Config
	sessions   *cookiesession.Manager
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	endSession string // the provider's end_session_endpoint, or ""
	revocation string // the provider's revocation_endpoint, or ""
	refreshes  refreshes
	handler    http.Handler
}

// New returns the application for cfg, after reading the provider's
// discovery document.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Keys == nil || cfg.Issuer == "" || cfg.ClientID == "" || cfg.BaseURL == "" {
		return nil, errors.New("oidcapp: Keys, Issuer, ClientID and BaseURL are required")
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	cfg.RevalidateEvery = cmp.Or(cfg.RevalidateEvery, DefaultRevalidateEvery)
	if cfg.RevalidateEvery < time.Second || cfg.RevalidateEvery%time.Second != 0 {
		return nil, fmt.Errorf("oidcapp: RevalidateEvery %v is not a whole number of seconds", cfg.RevalidateEvery)
	}
	cfg.OutageGrace = cmp.Or(cfg.OutageGrace, DefaultOutageGrace)
	cfg.MaxSize = cmp.Or(cfg.MaxSize, DefaultMaxSize)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Time == nil {
		cfg.Time = time.Now
	}
	a := &App{cfg: cfg}
	provider, err := oidc.NewProvider(a.clientContext(ctx), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidcapp: discovery: %w", err)
	}
	var endpoints struct {
		EndSession string `json:"end_session_endpoint"`
		Revocation string `json:"revocation_endpoint"`
	}
	if err := provider.Claims(&endpoints); err != nil {
		return nil, fmt.Errorf("oidcapp: discovery: %w", err)
	}
	a.endSession, a.revocation = endpoints.EndSession, endpoints.Revocation
	a.verifier = provider.Verifier(&oidc.Config{ClientID: cfg.ClientID})
	a.oauth = oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		Endpoint:     provider.Endpoint(),
		RedirectURL:  cfg.BaseURL + "/callback",
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
	}
	a.sessions, err = cookiesession.New(cfg.Keys, cookiesession.Config{
		Name:            CookieName,
		Lifetime:        8 * time.Hour, // then the user signs in at the provider again
		Revalidate:      a.revalidate,
		RevalidateEvery: cfg.RevalidateEvery,
		OnInvalid:       logInvalid,
		MaxCookies:      maxCookies,  // 3: Name, Name.1, Name.2
		MaxSize:         cfg.MaxSize, // three full cookies by default: see Config.MaxSize
	})
	if err != nil {
		return nil, err
	}
	a.handler, err = a.routes()
	return a, err
}

// routes returns the application's handler: the pages, behind the session
// middleware, cross-origin protection and security headers.
func (a *App) routes() (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("GET /callback", a.callback)
	mux.HandleFunc("POST /callback", a.callback) // response_mode=form_post
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("GET /signed-out", a.signedOut)
	csrf := http.NewCrossOriginProtection()
	// A form_post callback is a cross-site POST by design; the state
	// check protects it.
	csrf.AddInsecureBypassPattern("POST /callback")
	u, err := url.Parse(a.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	// Forms post to this origin, which redirects to the provider's.
	csp := fmt.Sprintf("default-src 'none'; form-action 'self' %s://%s; base-uri 'none'; frame-ancestors 'none'", u.Scheme, u.Host)
	h := csrf.Handler(a.sessions.Handler(mux))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	}), nil
}

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// clientContext returns ctx carrying the HTTP client for oauth2 and go-oidc.
func (a *App) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, a.cfg.HTTPClient)
}

// home shows who is signed in, with the session's figures, or the buttons
// that sign in.
func (a *App) home(w http.ResponseWriter, r *http.Request) {
	s := a.sessions.Get(r)
	size := s.Size()
	v := homeView{Size: size, Limit: a.cfg.MaxSize, Cookies: cookiesFor(size), Every: a.cfg.RevalidateEvery}
	var t tokens
	signedIn, err := s.Get("tokens", &t)
	if err == nil && signedIn {
		_, err = s.Get("user", &v.User)
	}
	if err == nil {
		_, err = s.Get("groups", &v.Groups)
	}
	if err != nil {
		a.fail(w, http.StatusInternalServerError, "Session unreadable", err.Error())
		return
	}
	v.SignedIn, v.Refreshes = signedIn, t.Refreshes
	if signedIn {
		v.AccessExpiry = time.Unix(t.Expiry, 0).UTC()
	}
	render(w, http.StatusOK, "home", v)
}

func (a *App) signedOut(w http.ResponseWriter, r *http.Request) {
	render(w, http.StatusOK, "signed-out", nil)
}
