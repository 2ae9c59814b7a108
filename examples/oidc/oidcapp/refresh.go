package oidcapp

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/cookiesession/cookiesession"
)

// revalidate is the sessions' Config.Revalidate, run at most once per
// RevalidateEvery for each session. It refreshes the access token if it
// would expire before the next check, so that the session always holds
// one that works until then, and so that a grant revoked at the provider
// is noticed at the next refresh: within RevalidateEvery of the
// revocation when access tokens live no longer than twice
// RevalidateEvery, and otherwise within the access tokens' lifetime.
//
// It returns an error, which ends the session, when the provider refuses
// the refresh token (revoked, expired, or the user disabled) or answers
// with an ID token for someone else. When the provider cannot be reached
// it keeps the session (cookiesession.ErrRevalidateLater) while the
// session's last check that passed, s.RevalidatedAt, is at most
// OutageGrace old, and ends it after that: an outage lengthens the bound
// on revocation above by OutageGrace at most.
func (a *App) revalidate(r *http.Request, s *cookiesession.Session) error {
	var t tokens
	if ok, err := s.Get("tokens", &t); err != nil || !ok {
		return err // not signed in: nothing to check
	}
	now := a.cfg.Time()
	expiry := time.Unix(t.Expiry, 0)
	if now.Add(a.cfg.RevalidateEvery).Before(expiry) {
		return nil // the access token outlives the next check
	}
	ctx := a.clientContext(r.Context())
	tok, err := a.refreshes.do(t.Refresh, func() (*oauth2.Token, error) {
		// Not cancelled with this request: the provider rotates the
		// refresh token, and other requests may wait for the answer.
		ctx := context.WithoutCancel(ctx)
		return a.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: t.Refresh}).Token()
	})
	switch {
	case refused(err):
		return fmt.Errorf("refresh refused: %w", err)
	case err != nil && now.Sub(s.RevalidatedAt()) > a.cfg.OutageGrace:
		return fmt.Errorf("provider unreachable, and the session unchecked for more than %v: %w", a.cfg.OutageGrace, err)
	case err != nil:
		return fmt.Errorf("%w: provider unreachable: %w", cookiesession.ErrRevalidateLater, err)
	}
	if raw, ok := tok.Extra("id_token").(string); ok {
		var u user
		if _, err := s.Get("user", &u); err != nil {
			return err
		}
		idt, err := a.verifier.Verify(ctx, raw)
		if err != nil {
			return fmt.Errorf("refreshed ID token: %w", err)
		}
		if idt.Subject != u.Subject {
			return errors.New("refreshed ID token names another user")
		}
	}
	t.Access, t.Expiry, t.Refreshes = tok.AccessToken, tok.Expiry.Unix(), t.Refreshes+1
	if tok.RefreshToken != "" { // rotated
		t.Refresh = tok.RefreshToken
	}
	return s.Set("tokens", t)
}

// refused reports whether err is the provider's refusal (an OAuth error
// answer, 4xx), as opposed to a failure to reach it or a server error.
func refused(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500
}

// logInvalid is the sessions' Config.OnInvalid: it logs why a session
// ended or a cookie was refused.
func logInvalid(r *http.Request, err error) {
	log.Printf("oidc: session ended or refused: %v", err)
}
