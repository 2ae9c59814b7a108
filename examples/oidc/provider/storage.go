package provider

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// errDisabled is the storage's answer for a disabled user; the provider
// turns it into the OAuth error invalid_grant on a refresh.
var errDisabled = errors.New("user disabled")

// store is the example storage of zitadel/oidc, wrapped where it cannot do
// what the example needs: put groups in ID tokens, shorten access tokens,
// disable users, register a post-logout redirect URI, and guard the one
// map it reads without its lock.
type store struct {
	*storage.Storage
	users      *users
	groups     map[string][]string // by subject
	postLogout []string
	lifetime   time.Duration // of access tokens; 0 keeps the storage's 5 minutes

	mu       sync.Mutex           // held around every call that reads or writes refresh tokens
	disabled map[string]bool      // subjects
	expiry   map[string]time.Time // access token ID → its shortened expiry
}

func newStore(cfg Config, list ...User) *store {
	u := newUsers(list...)
	s := &store{
		Storage: storage.NewStorageWithClients(u, map[string]*storage.Client{
			cfg.ClientID: storage.WebClient(cfg.ClientID, cfg.ClientSecret, cfg.RedirectURI),
		}),
		users:      u,
		groups:     make(map[string][]string),
		postLogout: []string{cfg.PostLogoutRedirectURI},
		lifetime:   cfg.AccessTokenLifetime,
		disabled:   make(map[string]bool),
		expiry:     make(map[string]time.Time),
	}
	for _, x := range list {
		if len(x.Groups) > 0 {
			s.groups[x.Subject] = x.Groups
		}
	}
	return s
}

// client is the example storage's web client (confidential, HTTP Basic
// authentication, refresh tokens) with a post-logout redirect URI, and with
// the profile and email claims in its ID tokens, as Entra ID and Keycloak
// put them.
type client struct {
	op.Client
	postLogout []string
}

func (c client) PostLogoutRedirectURIs() []string     { return c.postLogout }
func (c client) IDTokenUserinfoClaimsAssertion() bool { return true }

func (s *store) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return client{Client: c, postLogout: s.postLogout}, nil
}

func (s *store) isDisabled(subject string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.disabled[subject]
}

func (s *store) setDisabled(subject string, disabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disabled[subject] = disabled
}

// CheckUsernamePassword refuses disabled users at the login form.
func (s *store) CheckUsernamePassword(username, password, id string) error {
	if u := s.users.GetUserByUsername(username); u != nil && s.isDisabled(u.ID) {
		return errDisabled
	}
	return s.Storage.CheckUsernamePassword(username, password, id)
}

// SetUserinfoFromRequest adds the user's groups to the ID token.
func (s *store) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	if g := s.groups[req.GetSubject()]; len(g) > 0 {
		info.AppendClaims("groups", g)
	}
	return nil
}

// shorten gives the access token id the configured lifetime, if shorter.
func (s *store) shorten(id string, exp time.Time) time.Time {
	if s.lifetime <= 0 {
		return exp
	}
	if short := time.Now().Add(s.lifetime); short.Before(exp) {
		exp = short
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expiry[id] = exp
	return exp
}

// expired reports whether the access token id is past its shortened
// expiry, or belongs to a disabled user.
func (s *store) expired(id, subject string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.expiry[id]
	return s.disabled[subject] || ok && !time.Now().Before(exp)
}

func (s *store) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	id, exp, err := s.Storage.CreateAccessToken(ctx, req)
	return id, s.shorten(id, exp), err
}

func (s *store) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	id, refresh, exp, err := s.Storage.CreateAccessAndRefreshTokens(ctx, req, current)
	s.mu.Unlock()
	return id, refresh, s.shorten(id, exp), err
}

// TokenRequestByRefreshToken refuses the refresh tokens of disabled users:
// the token endpoint answers invalid_grant.
func (s *store) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	req, err := s.Storage.TokenRequestByRefreshToken(ctx, token)
	s.mu.Unlock()
	if err == nil && s.isDisabled(req.GetSubject()) {
		return nil, errDisabled
	}
	return req, err
}

func (s *store) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Storage.GetRefreshTokenInfo(ctx, clientID, token)
}

func (s *store) RevokeToken(ctx context.Context, token, userID, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Storage.RevokeToken(ctx, token, userID, clientID)
}

func (s *store) TerminateSession(ctx context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Storage.TerminateSession(ctx, userID, clientID)
}

func (s *store) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if s.expired(tokenID, subject) {
		return errors.New("token is expired")
	}
	return s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin)
}
