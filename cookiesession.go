// Package cookiesession keeps HTTP sessions in one encrypted, authenticated
// cookie, so a service needs no session store and any replica that shares
// the key ring can read any session.
//
// Wrap a handler with [Manager.Handler] and use [Manager.Get] in it:
//
//	keys, err := cookiesession.KeyRingFromEnv("SESSION_KEYS")
//	...
//	m, err := cookiesession.New(keys, cookiesession.Config{})
//	...
//	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
//		s := m.Get(r)
//		s.Regenerate()
//		if err := s.Set("user", "alice"); err != nil { ... }
//	})
//	http.ListenAndServe(addr, m.Handler(mux))
//
// The cookie is read only when a handler first uses the session, and
// written, at most once, just before the response's headers go out, and
// only when something changed.
//
// # Security
//
// Cookies are sealed with XChaCha20-Poly1305 under the ring's primary key,
// with a random 24-byte nonce; the cookie name is bound into the
// authentication, so a value cannot be moved to another cookie. Times are
// sealed and enforced by the server: the absolute lifetime, the optional
// idle timeout and the tolerance for clocks running ahead. A cookie that is
// malformed, tampered with, expired or sealed under an unknown key gives a
// new, empty session and a call to [Config.OnInvalid]; it never fails the
// request.
//
// The defaults are the safe ones: the __Host- prefix, Secure, HttpOnly,
// SameSite=Lax, Path=/. Writes that would make the cookie larger than a
// browser stores are refused where they happen, with [ErrTooLarge].
//
// # Sessions larger than one cookie
//
// With [Config.MaxCookies] above one, a session that outgrows one cookie
// is sealed once and split over the cookie called Name and chunk cookies
// Name.1, Name.2 and so on. The number of cookies is sealed and
// authenticated: chunks that are missing, carried twice with different
// values or mixed from different writes open as nothing. [Config.MaxSize]
// bounds the cookies together, so that the request's Cookie header stays
// within what servers and proxies accept. A session that fits one cookie is
// written as it is without chunking.
//
// A stateless cookie cannot be revoked by the server alone: until it
// expires, a copied cookie is as good as the original. Keep lifetimes short,
// use an idle timeout, call [Session.Regenerate] at login, check sessions
// against your database with [Config.Revalidate], and rotate keys to end
// every session at once.
//
// # Clients without cookies
//
// With [Config.TokenHeader] set, clients that keep no cookies (mobile apps,
// command-line tools, other services) carry the same sealed session as a
// token in a header, both ways. The transport is sealed in: a token does
// not open as a cookie, nor a cookie as a token.
//
// # Key rotation
//
// Keys come from the environment, primary first: SESSION_KEYS="new,old".
// To rotate across a fleet without logging anyone out, deploy "old,new"
// everywhere (the new key opens but does not seal), then "new,old" (the new
// key seals), and after the session lifetime has passed, "new". A cookie
// opened with an old key is re-sealed under the primary on that response,
// keeping its issued-at time and expiry. [Manager.Stats] shows when an old
// key stops being used, and a replica whose ring lacks a key others seal
// with; [KeyRing.Inspect] and the cookiesession command (cmd/cookiesession)
// tell an operator what a cookie holds and why it does not open.
//
// # Compatibility
//
// The wire format is specified in FORMAT.md and versioned; this package
// opens every version it has written, and re-seals an older one in the
// current version on the response to the first request that uses it.
// [Codec] satisfies securecookie.Codec, so it also serves gorilla/sessions'
// CookieStore.
package cookiesession

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// Config configures a [Manager]. Its zero value is the secure default
// configuration; each field documents its default.
type Config struct {
	// Name is the cookie name. Default "__Host-session": the __Host- prefix
	// makes browsers refuse the cookie unless it is Secure, has Path=/ and no
	// Domain, so no sibling subdomain can overwrite it.
	Name string

	// Path is the cookie's Path attribute. Default "/".
	Path string

	// Domain is the cookie's Domain attribute. Default none (host-only).
	// Not allowed with the __Host- prefix.
	Domain string

	// SameSite is the cookie's SameSite attribute, always written.
	// Default (zero, or http.SameSiteDefaultMode) is Lax.
	SameSite http.SameSite

	// Partitioned adds the Partitioned attribute (CHIPS), for cookies in
	// cross-site embedded contexts. Default false.
	Partitioned bool

	// MaxCookies is the most cookies one session may take. A session that
	// grows past one cookie's limit, MaxCookieSize, is sealed once and split
	// over the cookie called Name and chunk cookies called Name.1, Name.2
	// and so on, up to MaxCookies in all, each within that limit and with
	// the same attributes. A request whose chunks are missing, carried twice
	// with different values or from different writes gets a new, empty
	// session, and OnInvalid an error with ReasonChunks or ReasonAuth;
	// chunks past the session's count are not read. A write that shrinks
	// the session deletes the chunks it no longer uses, and Destroy every
	// chunk the request carried. At most 255. Default 1: a session is one
	// cookie.
	MaxCookies int

	// MaxSize is the most bytes a session's cookies may take together,
	// counting each cookie's name and value as MaxCookieSize does; a token
	// is held to the cookies its session would take, so that a write is
	// refused alike for both, and is a little shorter. Set and Flash refuse
	// with ErrTooLarge a write that would need more bytes, or more cookies
	// than MaxCookies. Browsers send all of a site's cookies in one Cookie
	// header, which servers and proxies cap: by default nginx answers 400 to
	// a header line over 8 KB, and Node.js 431 to request headers over
	// 16 KB. Default 6144, which leaves 2 KB of nginx's line to the site's
	// other cookies; raise it only as far as every proxy in front of the
	// service allows. Responses are capped too: nginx holds a response's
	// headers in proxy_buffer_size, 4 KB by default, and answers 502 to a
	// session over about 3.8 KB, one cookie or several, unless it is raised
	// (to 16k, with proxy_buffers 4 16k). With MaxCookies 1 it can only
	// lower one cookie's limit. A session larger than MaxSize, written
	// before it was lowered, does not open: the request gets a new session,
	// and OnInvalid an error with ReasonTooLong.
	MaxSize int

	// Lifetime is the absolute lifetime of a session, from its creation or
	// last Regenerate; renewals do not extend it. Sealed times are whole
	// seconds, so New refuses a Lifetime that is not a whole number of
	// seconds. Default 24 hours.
	Lifetime time.Duration

	// IdleTimeout, if positive, ends a session that has not been re-issued
	// for that long. The cookie is re-issued on a request that uses the
	// session once a quarter of the timeout has passed since it was last
	// issued, so an active user keeps at least three quarters of it. New
	// refuses an IdleTimeout that is not a whole number of seconds.
	// Default 0: no idle timeout.
	IdleTimeout time.Duration

	// ClockSkew is how far in the future a sealed time may be, to allow for
	// replicas whose clocks differ. Default 1 minute; negative means none.
	ClockSkew time.Duration

	// InsecureNoSecure drops the Secure attribute, so the cookie is also sent
	// over plain HTTP, where anyone on the path can copy it. Browsers accept
	// Secure cookies on http://localhost, so development does not need it.
	// Default false.
	InsecureNoSecure bool

	// OnInvalid, if set, is called once for a request whose session cookie
	// or token could not be opened, or whose session Revalidate ended, with
	// an error matching ErrInvalid; errors.As gives an *InvalidError with
	// the reason. The request goes on with a new, empty session, which
	// OnInvalid may use through Manager.Get (to add a flash, say) when the
	// request came through Manager.Handler. An invalid cookie is left
	// alone, not deleted: it may come from a replica with a newer key ring,
	// and it is replaced as soon as the session is written. OnInvalid is
	// also called, with a *MigrationError, when a legacy cookie's values
	// could not all be carried over (see Migrate). Default nil.
	OnInvalid func(r *http.Request, err error)

	// TokenHeader, if set, names a header through which clients that keep
	// no cookies (mobile apps, command-line tools, other services) carry
	// their session as a token, such as "Session-Token". A request that has
	// this header, even with an empty value (a client asking for its first
	// token), takes its session from it and ignores cookies; when the
	// session must be written, the response hands back the new token in the
	// same header, or an empty one when the session ended, and never sets
	// a cookie. Tokens are sealed, rotated, limited in size and checked as
	// cookies are, and do not open as cookies, nor cookies as tokens.
	// Responses that hand out a token get "Cache-Control: no-store", and
	// responses that read the session vary on this header and on Cookie.
	//
	// A request carries one token. One that carries two distinct values,
	// in two header lines or in one line separated by a comma (which no
	// token contains), is refused as ambiguous, whatever the values are
	// and in whichever order: it gets a new, empty session, OnInvalid gets
	// an [*InvalidError] with [ReasonSeveralTokens], and the response
	// carries a token only if the handler writes the new session. The same
	// value sent twice is one token.
	//
	// A token is a bearer credential without a cookie's protections: kept in
	// a browser page's storage, scripts can read it. Browsers send a header
	// of this name cross-origin only after a CORS preflight, so allow it
	// (Access-Control-Allow-Headers, and Access-Control-Expose-Headers for
	// the response) only to origins you trust: a page allowed to send it
	// can put a request in a session of its choosing. Names HTTP already
	// uses, the CORS-safelisted request headers and names with an
	// underscore (which nginx drops by default) are refused.
	// Default "": no header is read.
	TokenHeader string

	// Revalidate, if set, is called for a session that came from a cookie
	// or token, on the request's first use of it, at most once per
	// RevalidateEvery: the time of the last check that passed is sealed in
	// the cookie. A session made from a legacy cookie (Migrate) is checked
	// on its first request. Revalidate lets an application compare the
	// session with its database (a per-user generation number, the time of
	// the last password change) without a lookup on every request.
	//
	// A nil error keeps the session; ErrRevalidateLater keeps it for this
	// request only; any other error, or a panic, ends it as Destroy does
	// (the response deletes the cookie), gives the request a new, empty
	// session and calls OnInvalid with ReasonRevalidation. The cause of a
	// panic is a *PanicError, with the panic's value and stack; the panic
	// goes no further, so the handler runs and answers as usual.
	//
	// Revalidate is given a copy of the session, valid during the call: it
	// may read and change it, and its changes are kept unless the session
	// ends. The request's other uses of the session wait for the verdict,
	// so Revalidate must use the copy it is given: calling the request's
	// session (through Manager.Get) from it deadlocks.
	//
	// Requests that carry the same cookie or token (a page's parallel
	// calls, or calls sent before the response that recorded a check
	// reached the browser) share one check: while it runs, and for five
	// seconds after it (RevalidateEvery, if shorter), they take its verdict
	// instead of calling Revalidate again. After a pass, each gets the
	// session as the hook left it (a refreshed token, say: a refresh token
	// that may be used once is used once); after a failure, each ends its
	// session and calls OnInvalid; after ErrRevalidateLater, each keeps its
	// own. A check that fails while its own request is being canceled is
	// not shared. The verdict is about the session, so Revalidate must not
	// decide on anything else of r (its address, say) that requests sharing
	// the check need not have in common. Default nil.
	Revalidate func(r *http.Request, s *Session) error

	// RevalidateEvery is the longest a session goes without Revalidate,
	// counted from the last check that passed, or from the session's
	// creation or Regenerate, when the application checked the user anyway.
	// The time of a check is sealed in whole seconds, so New refuses a
	// RevalidateEvery that is not a whole number of seconds. Zero (the
	// default) checks on every request that uses a session.
	RevalidateEvery time.Duration

	// Migrate, if set, reads the cookies of a gorilla/sessions CookieStore
	// into sessions of this Manager until Migrate.Until, deleting each on
	// the response that migrates it; see GorillaCookie. Default nil.
	Migrate *GorillaCookie
}

// A Manager reads and writes sessions as configured. It is immutable and
// safe for concurrent use.
type Manager struct {
	cfg        Config
	keys       *KeyRing
	codec      *Codec
	scope      string   // the Set-Cookie attributes Path and Domain
	flags      string   // HttpOnly, Secure, SameSite and Partitioned
	chunkNames []string // the names of the cookies a session may take, Name first
	deletes    []string // the Set-Cookie lines that delete each of them
	limit      int      // the most a session's cookies may take: MaxSize, or less
	legacy     *legacy  // Config.Migrate, checked; nil if none
	checks     *checks  // Config.Revalidate's running and remembered checks; nil if none
	stats      counters
}

type contextKey struct{ m *Manager }

const maxAttributeLen = 1024 // browsers ignore longer attribute values

// New returns a Manager sealing with keys' primary key. It returns an error
// if cfg is contradictory: an invalid cookie name, a __Host- name with a
// Domain or a Path other than "/", a __Host- or __Secure- name, SameSite
// None or Partitioned without Secure, attribute values over 1024 bytes or
// with invalid characters, negative durations, or a Lifetime, IdleTimeout
// or RevalidateEvery that is not a whole number of seconds.
func New(keys *KeyRing, cfg Config) (*Manager, error) {
	if keys == nil || len(keys.keys) == 0 {
		return nil, errors.New("cookiesession: New needs a key ring from NewKeyRing, ParseKeyRing or KeyRingFromEnv")
	}
	cfg.Name = cmp.Or(cfg.Name, "__Host-session")
	cfg.Path = cmp.Or(cfg.Path, "/")
	if cfg.SameSite == 0 || cfg.SameSite == http.SameSiteDefaultMode {
		cfg.SameSite = http.SameSiteLaxMode
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = defaultLifetime
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = defaultSkew
	} else if cfg.ClockSkew < 0 {
		cfg.ClockSkew = 0
	}
	if cfg.TokenHeader != "" {
		cfg.TokenHeader = textproto.CanonicalMIMEHeaderKey(cfg.TokenHeader)
	}
	cfg.MaxCookies = cmp.Or(cfg.MaxCookies, 1)
	cfg.MaxSize = cmp.Or(cfg.MaxSize, defaultMaxSize)
	if err := cfg.check(); err != nil {
		return nil, err
	}
	codec := NewCodec(keys, cfg.Lifetime)
	codec.skew = cfg.ClockSkew
	codec.idle = cfg.IdleTimeout
	codec.limit = cfg.MaxCookies * MaxCookieSize
	m := &Manager{
		cfg: cfg, keys: keys, codec: codec, scope: cookieScope(&cfg), flags: cookieFlags(&cfg),
		chunkNames: chunkNames(cfg.Name, cfg.MaxCookies),
		limit:      min(cfg.MaxSize, cfg.MaxCookies*MaxCookieSize),
	}
	for _, name := range m.chunkNames {
		m.deletes = append(m.deletes, name+"="+m.scope+"; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0"+m.flags)
	}
	if cfg.Revalidate != nil {
		m.checks = newChecks(&cfg)
	}
	if cfg.Migrate != nil {
		var err error
		if m.legacy, err = newLegacy(cfg.Migrate, &cfg); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (cfg *Config) check() error {
	secure := !cfg.InsecureNoSecure
	lower := strings.ToLower(cfg.Name)
	switch {
	case cfg.Lifetime < 0 || cfg.IdleTimeout < 0 || cfg.RevalidateEvery < 0:
		return errors.New("cookiesession: Lifetime, IdleTimeout and RevalidateEvery must not be negative")
	case cfg.RevalidateEvery > 0 && cfg.Revalidate == nil:
		return errors.New("cookiesession: RevalidateEvery needs a Revalidate function")
	case len(cfg.Path) > maxAttributeLen || len(cfg.Domain) > maxAttributeLen:
		return errors.New("cookiesession: Path and Domain must be at most 1024 bytes: browsers ignore longer attributes")
	case !strings.HasPrefix(cfg.Path, "/"):
		return fmt.Errorf("cookiesession: Path %q must start with /", cfg.Path)
	case strings.HasPrefix(lower, "__host-") && (cfg.Domain != "" || cfg.Path != "/" || !secure):
		return fmt.Errorf("cookiesession: a %q cookie needs Secure, Path \"/\" and no Domain; browsers reject it otherwise", cfg.Name)
	case strings.HasPrefix(lower, "__secure-") && !secure:
		return fmt.Errorf("cookiesession: a %q cookie needs Secure; browsers reject it otherwise", cfg.Name)
	case cfg.SameSite == http.SameSiteNoneMode && !secure:
		return errors.New("cookiesession: SameSite=None needs Secure; browsers reject it otherwise")
	case cfg.Partitioned && !secure:
		return errors.New("cookiesession: Partitioned needs Secure; browsers reject it otherwise")
	case cfg.SameSite < http.SameSiteDefaultMode || cfg.SameSite > http.SameSiteNoneMode:
		return fmt.Errorf("cookiesession: unknown SameSite value %d", cfg.SameSite)
	case len(cfg.Name) >= MaxCookieSize/2:
		return errors.New("cookiesession: cookie name too long")
	case cfg.MaxCookies < 1 || cfg.MaxCookies > maxChunks:
		return fmt.Errorf("cookiesession: MaxCookies %d is not between 1 and %d", cfg.MaxCookies, maxChunks)
	case cfg.MaxSize < len(cfg.Name)+encodedLen(fixedPlain):
		return fmt.Errorf("cookiesession: MaxSize %d leaves no room for a session; an empty one takes %d bytes", cfg.MaxSize, len(cfg.Name)+encodedLen(fixedPlain))
	case cfg.MaxCookies > 1 && cfg.MaxSize <= MaxCookieSize:
		return fmt.Errorf("cookiesession: MaxCookies %d needs a MaxSize over %d bytes, one cookie's limit", cfg.MaxCookies, MaxCookieSize)
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"Lifetime", cfg.Lifetime}, {"IdleTimeout", cfg.IdleTimeout}, {"RevalidateEvery", cfg.RevalidateEvery}} {
		if d.d%time.Second != 0 {
			return fmt.Errorf("cookiesession: %s is %v; sessions keep time in whole seconds, so it must be a whole number of seconds", d.name, d.d)
		}
	}
	c := &http.Cookie{Name: cfg.Name, Value: "v", Path: cfg.Path, Domain: cfg.Domain}
	if err := c.Valid(); err != nil {
		return fmt.Errorf("cookiesession: invalid cookie configuration: %w", err)
	}
	if err := checkTokenHeader(cfg.TokenHeader); err != nil {
		return err
	}
	if strings.ContainsAny(cfg.Path, ";\x7f") || strings.ContainsFunc(cfg.Path, func(r rune) bool { return r < 0x20 }) {
		return fmt.Errorf("cookiesession: invalid character in Path %q", cfg.Path)
	}
	return nil
}

// Handler returns a handler that gives next's requests a session, available
// from [Manager.Get], and commits it: the session's cookie, if it must be
// written, is added to the response's headers just before they are sent,
// on the first non-1xx WriteHeader, Write, ReadFrom, Flush or FlushError,
// or when next returns without writing. 1xx responses pass through. A
// request that never uses the session costs no decoding and sets nothing.
// If next panics, nothing is committed.
//
// Responses that read the session before the commit get "Vary: Cookie";
// responses that set or delete the cookie get "Cache-Control: no-store"
// unless they already say no-store or private, so no shared cache serves one
// user's cookie to another. A handler that reads the session only after
// writing has begun must set its own Vary and Cache-Control headers.
func (m *Manager) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &responseWriter{ResponseWriter: w}
		rw.s = Session{m: m}
		rw.ctx = sessionContext{Context: r.Context(), m: m, s: &rw.s}
		r = r.WithContext(&rw.ctx)
		rw.s.req = r
		next.ServeHTTP(rw, r)
		rw.commit()
	})
}

// Get returns the request's session. It panics if r did not come through
// m's [Manager.Handler]: without the middleware, nothing would save the
// session; use [Manager.Load] and [Manager.Save] there instead.
func (m *Manager) Get(r *http.Request) *Session {
	s, ok := r.Context().Value(contextKey{m}).(*Session)
	if !ok {
		panic("cookiesession: Manager.Get called on a request that did not pass through this Manager's Handler")
	}
	return s
}

// Load opens the session cookie of r, for code that cannot use
// [Manager.Handler]; pair it with [Manager.Save]. Like the middleware, it
// never fails: an invalid cookie gives a new session and a call to
// [Config.OnInvalid].
func (m *Manager) Load(r *http.Request) *Session {
	s := &Session{m: m, req: r}
	s.lock()
	s.mu.Unlock()
	return s
}

// Save adds the session's cookie to w's headers if it must be written. Call
// it before the response's headers are sent; it does nothing the second
// time. It panics if s belongs to another Manager.
func (m *Manager) Save(w http.ResponseWriter, s *Session) error {
	if s.m != m {
		panic("cookiesession: Manager.Save called with another Manager's session")
	}
	return m.writeHeaders(w.Header(), s)
}

func (m *Manager) writeHeaders(h http.Header, s *Session) error {
	c, err := s.commit(time.Now())
	if c.read {
		addVary(h, "Cookie", m.cfg.TokenHeader)
	}
	switch {
	case c.write && c.token:
		h.Set(m.cfg.TokenHeader, c.value)
		if !hasDirective(h, "no-store") {
			h.Set("Cache-Control", "no-store")
		}
		return nil
	case c.write:
		h.Add("Set-Cookie", c.value)
	}
	for _, line := range c.more {
		h.Add("Set-Cookie", line)
	}
	if c.deleteLegacy {
		h.Add("Set-Cookie", m.legacy.delete)
	}
	// A response that sets a cookie stays out of shared caches: private
	// without a field list does that; private="X" leaves the rest of the
	// response shareable.
	if (c.write || len(c.more) > 0 || c.deleteLegacy) && !hasDirective(h, "no-store") && !hasDirective(h, "private") {
		h.Set("Cache-Control", "no-store")
	}
	return err
}

// hasDirective reports whether a Cache-Control line of h holds directive,
// without arguments.
func hasDirective(h http.Header, directive string) bool {
	for _, line := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(line, ",") {
			if strings.EqualFold(strings.TrimSpace(d), directive) {
				return true
			}
		}
	}
	return false
}

// addVary adds to h's Vary header, in one line, the fields (skipping "")
// that it does not name yet.
func addVary(h http.Header, fields ...string) {
	var missing []string
	for _, field := range fields {
		if field != "" && !varies(h, field) {
			missing = append(missing, field)
		}
	}
	if len(missing) > 0 {
		h.Add("Vary", strings.Join(missing, ", "))
	}
}

// varies reports whether h's Vary header names field, or is "*".
func varies(h http.Header, field string) bool {
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); strings.EqualFold(f, field) || f == "*" {
				return true
			}
		}
	}
	return false
}

// start gives p a new ID and times.
func (m *Manager) start(p *payload, now time.Time) {
	t := now.Unix()
	p.id = newID()
	p.issuedAt, p.renewedAt, p.checkedAt = t, t, t
	p.expiresAt = t + int64(m.cfg.Lifetime/time.Second)
}

// renewalDue reports whether an idle timeout calls for re-issuing p.
func (m *Manager) renewalDue(p *payload, now time.Time) bool {
	return m.cfg.IdleTimeout > 0 && now.Unix()-p.renewedAt >= int64(m.cfg.IdleTimeout/time.Second/4)
}

// sealed returns what carries p by transport t: for a cookie, the
// Set-Cookie line of the cookie called Name, and of its other chunks when
// p takes several cookies; for a header, the token. For p nil it returns
// what ends the session: the line that deletes the cookie called Name, or
// an empty token.
func (m *Manager) sealed(p *payload, t transport, now time.Time) (first string, more []string, err error) {
	switch {
	case p == nil && t == viaCookie:
		return m.deletes[0], nil, nil
	case p == nil:
		return "", nil, nil
	}
	n := p.plainLen()
	cookies, size := m.layout(n)
	if cookies > len(m.chunkNames) || size > m.limit {
		return "", nil, &SizeError{Name: m.cfg.Name, Size: size, Limit: m.limit}
	}
	buf := getBuf()
	defer putBuf(buf)
	if t == viaHeader {
		b, err := m.codec.seal(*buf, m.cfg.Name, viaHeader, p, 1)
		*buf = b
		return string(b), nil, err
	}
	if cookies == 1 {
		return m.setCookie(*buf, p, now)
	}
	b, err := m.codec.seal(*buf, m.cfg.Name, viaCookie, p, cookies)
	*buf = b
	if err != nil {
		return "", nil, err
	}
	lines := m.split(make([]string, 0, cookies), b, string(m.appendAttrs(nil, p, now)))
	return lines[0], lines[1:], nil
}

// setCookie returns the Set-Cookie line that carries p, sealed in one
// cookie, built in buf. The line is built here, not by http.Cookie.String:
// New checked the attributes once, and a sealed value is base64url, which
// needs neither checking nor quoting.
func (m *Manager) setCookie(buf []byte, p *payload, now time.Time) (string, []string, error) {
	b := append(buf, m.cfg.Name...)
	b = append(b, '=')
	b, err := m.codec.seal(b, m.cfg.Name, viaCookie, p, 1)
	if err != nil {
		return "", nil, err
	}
	b = m.appendAttrs(b, p, now)
	return string(b), nil, nil
}

// appendAttrs appends the attributes of the Set-Cookie lines that carry p
// to b.
func (m *Manager) appendAttrs(b []byte, p *payload, now time.Time) []byte {
	b = append(b, m.scope...)
	if p.persistent {
		end := m.codec.expiry(p)
		b = append(b, "; Expires="...)
		b = time.Unix(end, 0).UTC().AppendFormat(b, http.TimeFormat)
		b = append(b, "; Max-Age="...)
		b = strconv.AppendInt(b, end-now.Unix(), 10)
	}
	return append(b, m.flags...)
}

// cookieScope and cookieFlags return the attributes of every Set-Cookie line
// of cfg, in the order of http.Cookie.String.
func cookieScope(cfg *Config) string {
	a := "; Path=" + cfg.Path
	if cfg.Domain != "" {
		a += "; Domain=" + strings.TrimPrefix(cfg.Domain, ".")
	}
	return a
}

func cookieFlags(cfg *Config) string {
	a := "; HttpOnly"
	if !cfg.InsecureNoSecure {
		a += "; Secure"
	}
	switch cfg.SameSite {
	case http.SameSiteStrictMode:
		a += "; SameSite=Strict"
	case http.SameSiteNoneMode:
		a += "; SameSite=None"
	default:
		a += "; SameSite=Lax"
	}
	if cfg.Partitioned {
		a += "; Partitioned"
	}
	return a
}

// cookieValues yields the value of each cookie called name in the request's
// Cookie headers, in order, without the copying and checking of
// http.Request.Cookies: Codec.open's strict base64 refuses any bad byte.
func cookieValues(h http.Header, name string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, line := range h["Cookie"] {
			for part := range strings.SplitSeq(line, ";") {
				n, v, ok := strings.Cut(strings.TrimSpace(part), "=")
				if !ok || n != name {
					continue
				}
				if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
					v = v[1 : len(v)-1]
				}
				if !yield(v) {
					return
				}
			}
		}
	}
}

// responseWriter commits the session before the first byte of the
// response. It also holds the request's context, so that the middleware
// allocates once for both.
type responseWriter struct {
	http.ResponseWriter
	s    Session
	ctx  sessionContext
	done bool
}

// sessionContext is the request's context with the session of a Manager.
type sessionContext struct {
	context.Context
	m *Manager
	s *Session
}

func (c *sessionContext) Value(key any) any {
	if k, ok := key.(contextKey); ok && k.m == c.m {
		return c.s
	}
	return c.Context.Value(key)
}

func (w *responseWriter) commit() {
	if !w.done {
		w.done = true
		w.s.m.writeHeaders(w.ResponseWriter.Header(), &w.s) //nolint:errcheck // cannot fail: sizes are checked by Set
	}
}

func (w *responseWriter) WriteHeader(code int) {
	if code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
		w.commit()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.commit()
	return w.ResponseWriter.Write(b)
}

// ReadFrom keeps io.Copy's fast path (sendfile) while committing first.
func (w *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	w.commit()
	return io.Copy(w.ResponseWriter, r)
}

func (w *responseWriter) Flush() { w.FlushError() }

// FlushError commits, then flushes the underlying writer; it is what
// http.ResponseController.Flush calls.
func (w *responseWriter) FlushError() error {
	w.commit()
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands over the connection, which carries no session cookie: the
// session is committed with nothing written, so a later change is refused
// (ErrCommitted, or a panic) instead of lost.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.done = true
		w.s.mu.Lock()
		w.s.committed = true
		w.s.mu.Unlock()
	}
	return c, rw, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
