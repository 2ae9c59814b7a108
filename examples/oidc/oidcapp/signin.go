package oidcapp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/cookiesession/cookiesession"
)

// loginTimeout is how long a sign-in may take at the provider.
const loginTimeout = 10 * time.Minute

// pending is a sign-in in progress, kept in the session under "login"
// until the callback.
type pending struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"` // the PKCE code_verifier
	Started  int64  `json:"started"`  // Unix seconds
}

// user is what the application keeps from the ID token, under "user"; the
// groups claim goes under "groups".
type user struct {
	Subject string `json:"sub"`
	Name    string `json:"name"`
	Email   string `json:"email"`
}

// tokens are the user's OAuth tokens, under "tokens".
type tokens struct {
	Access    string `json:"access"`
	Refresh   string `json:"refresh"`
	Expiry    int64  `json:"expiry"`    // of the access token, Unix seconds
	Refreshes int    `json:"refreshes"` // how many times the access token was refreshed
}

// login starts a sign-in: it keeps a new state, nonce and PKCE verifier
// in the session and sends the browser to the provider. The form field
// response_mode=form_post asks the provider to post the answer back
// instead of redirecting with it (see README.md: it fails).
func (a *App) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
	mode := r.PostFormValue("response_mode")
	if mode != "" && mode != "form_post" {
		a.fail(w, http.StatusBadRequest, "Unknown response mode", "response_mode is empty or form_post.")
		return
	}
	p := pending{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), Started: a.cfg.Time().Unix()}
	if err := a.sessions.Get(r).Set("login", p); err != nil {
		a.tooLarge(w, err)
		return
	}
	opts := []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("nonce", p.Nonce),
		oauth2.S256ChallengeOption(p.Verifier),
	}
	if mode != "" {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", mode))
	}
	http.Redirect(w, r, a.oauth.AuthCodeURL(p.State, opts...), http.StatusSeeOther)
}

// callback finishes a sign-in. Every check that fails answers with a page
// that says which, and signs nobody in.
func (a *App) callback(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		a.fail(w, http.StatusBadRequest, "Bad callback", "The callback's parameters could not be read.")
		return
	}
	params := r.Form // the query for GET, the body for form_post
	s := a.sessions.Get(r)
	var p pending
	if ok, err := s.Get("login", &p); err != nil || !ok {
		a.fail(w, http.StatusBadRequest, "No sign-in in progress", noLoginReason(r))
		return
	}
	if subtle.ConstantTimeCompare([]byte(params.Get("state")), []byte(p.State)) != 1 {
		// The sign-in in progress is left as it is: a forged callback
		// cannot cancel it.
		a.fail(w, http.StatusBadRequest, "State mismatch", "This callback does not answer the sign-in this browser started.")
		return
	}
	s.Delete("login") // a state is good for one callback
	if a.cfg.Time().Sub(time.Unix(p.Started, 0)) > loginTimeout {
		a.fail(w, http.StatusBadRequest, "Sign-in expired", "The sign-in took too long. Sign in again.")
		return
	}
	if e := params.Get("error"); e != "" {
		a.fail(w, http.StatusBadRequest, "The provider refused", e+": "+params.Get("error_description"))
		return
	}
	ctx := a.clientContext(r.Context())
	tok, err := a.oauth.Exchange(ctx, params.Get("code"), oauth2.VerifierOption(p.Verifier))
	if err != nil {
		a.providerFailed(w, "The code could not be redeemed", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := a.verifier.Verify(ctx, raw)
	if err != nil {
		a.fail(w, http.StatusBadGateway, "Invalid ID token", err.Error())
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.Nonce)) != 1 {
		a.fail(w, http.StatusBadRequest, "Nonce mismatch", "The ID token was not issued for the sign-in this browser started.")
		return
	}
	var claims struct {
		Name   string   `json:"name"`
		Email  string   `json:"email"`
		Groups []string `json:"groups"`
	}
	if err := idt.Claims(&claims); err != nil {
		a.fail(w, http.StatusBadGateway, "Invalid ID token", err.Error())
		return
	}
	u := user{Subject: idt.Subject, Name: claims.Name, Email: claims.Email}
	t := tokens{Access: tok.AccessToken, Refresh: tok.RefreshToken, Expiry: tok.Expiry.Unix()}
	if err := signIn(s, u, claims.Groups, t); err != nil {
		a.revoke(ctx, t.Refresh) // the tokens are dropped: end the grant too
		a.tooLarge(w, err)
		return
	}
	size := s.Size()
	log.Printf("oidc: %s signed in: ID token %d bytes (not kept), access token %d, refresh token %d, %d groups; session %d bytes (cookies: %d)",
		u.Subject, len(raw), len(t.Access), len(t.Refresh), len(claims.Groups), size, cookiesFor(size))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// signIn gives s a new ID, empties it, and stores the user, the tokens and
// the groups, the largest, last: a refused write then counts everything.
// If anything does not fit, it destroys s, so that nobody is signed in
// half-way, and returns the *cookiesession.SizeError.
func signIn(s *cookiesession.Session, u user, groups []string, t tokens) error {
	s.Regenerate()
	s.Clear()
	err := s.Set("user", u)
	if err == nil {
		err = s.Set("tokens", t)
	}
	if err == nil && len(groups) > 0 {
		err = s.Set("groups", groups)
	}
	if err != nil {
		s.Destroy()
	}
	return err
}

// noLoginReason explains a callback that came without a sign-in in
// progress, and says so when the browser withheld the cookie.
func noLoginReason(r *http.Request) string {
	site := r.Header.Get("Sec-Fetch-Site")
	if r.Method == http.MethodPost && site == "cross-site" {
		return "This callback came as a POST from another site (response_mode=form_post; Sec-Fetch-Site: cross-site). " +
			"Browsers do not send SameSite=Lax cookies with such requests, so the session that holds the sign-in's state did not arrive."
	}
	return fmt.Sprintf("This browser's session holds no sign-in to finish (%s, Sec-Fetch-Site: %q). Sign in again.", r.Method, site)
}

// logout revokes the refresh token, deletes the session cookie, and sends
// the browser to the provider's end-session endpoint.
func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	s := a.sessions.Get(r)
	var t tokens
	if ok, _ := s.Get("tokens", &t); ok {
		a.revoke(a.clientContext(r.Context()), t.Refresh)
	}
	s.Destroy()
	back := a.cfg.BaseURL + "/signed-out"
	if a.endSession == "" {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	q := url.Values{"client_id": {a.cfg.ClientID}, "post_logout_redirect_uri": {back}}
	http.Redirect(w, r, a.endSession+"?"+q.Encode(), http.StatusSeeOther)
}

// revoke revokes a refresh token at the provider (RFC 7009), logging a
// failure: the session ends anyway.
func (a *App) revoke(ctx context.Context, refresh string) {
	if a.revocation == "" || refresh == "" {
		return
	}
	err := a.postRevocation(ctx, refresh)
	if err != nil {
		log.Printf("oidc: revoking a refresh token: %v", err)
	}
}

func (a *App) postRevocation(ctx context.Context, refresh string) error {
	body := url.Values{"token": {refresh}, "token_type_hint": {"refresh_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.revocation, strings.NewReader(body.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(a.cfg.ClientID), url.QueryEscape(a.cfg.ClientSecret))
	resp, err := a.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("revocation endpoint answered %s", resp.Status)
	}
	return nil
}

// providerFailed answers for an error from the token endpoint: 400 when
// the provider refused, 502 when it could not be reached.
func (a *App) providerFailed(w http.ResponseWriter, title string, err error) {
	if refused(err) {
		a.fail(w, http.StatusBadRequest, title, "The provider refused: "+err.Error())
		return
	}
	a.fail(w, http.StatusBadGateway, title, "The provider could not be reached: "+err.Error())
}

// tooLarge answers for a session that would not fit in its cookie.
func (a *App) tooLarge(w http.ResponseWriter, err error) {
	var se *cookiesession.SizeError
	if !errors.As(err, &se) {
		a.fail(w, http.StatusInternalServerError, "Session not saved", err.Error())
		return
	}
	render(w, http.StatusRequestEntityTooLarge, "too-large", se)
}
