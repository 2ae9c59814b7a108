package cookiesession

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
	"unicode/utf8"
)

// ErrKey is returned by [Session.Set] and [Session.Flash] for a key that is
// empty, longer than 255 bytes or not valid UTF-8.
var ErrKey = errors.New("cookiesession: session keys must be 1 to 255 bytes of UTF-8")

// ErrCommitted is returned by [Session.Set] and [Session.Flash] after the
// response's headers were sent: the cookie can no longer carry the change.
var ErrCommitted = errors.New("cookiesession: session changed after the response's headers were sent")

// A Session is the state carried by one request's session cookie: values,
// flashes, and the times and ID sealed with them. Get one with
// [Manager.Get] inside [Manager.Handler], or with [Manager.Load].
//
// The cookie is read the first time a method is called, not before. Its
// methods are safe for use by several goroutines serving one request.
// Changes reach the browser when the response is committed: see
// [Manager.Handler] and [Manager.Save]. After that, Set and Flash return
// [ErrCommitted] and the other methods that may change the session panic,
// so that no change is lost silently.
type Session struct {
	m   *Manager
	req *http.Request

	mu        sync.Mutex
	loaded    bool
	via       transport // how the session came, and so how it goes back
	p         payload
	size      int      // p.plainLen(), kept up to date
	key       *ringKey // the key that opened the cookie; nil if new
	opened    uint8    // 1 + the index in candidates of the value that opened; 0 if none
	isNew     bool
	changed   bool // values or flashes changed, or times reset
	dirty     bool // the cookie must be written
	destroyed bool
	committed bool
	migrated  bool     // made from a legacy cookie, which the response deletes
	carried   bool     // the request carried a cookie or token of the session's name
	chunks    chunkSet // the chunk cookies (Name.1 and on) the request carried
	cookies   int      // how many cookies the session came in: 1, or its chunks
}

// maxCandidates is how many cookies of the session's name load tries.
const maxCandidates = 8

// lockToChange is lock for the methods that may change the session. After
// the response's headers were sent a change would be lost, so it panics,
// whether or not the call would have changed anything; Set and Flash return
// ErrCommitted instead.
func (s *Session) lockToChange() {
	s.lock()
	if s.committed {
		s.mu.Unlock()
		panic("cookiesession: session changed after the response's headers were sent; the change would be lost")
	}
}

// lock locks s, opening the request's cookie or token on first use.
// Config.Revalidate runs with s locked, on a copy of it; Config.OnInvalid
// runs with s unlocked, so it may use the session.
func (s *Session) lock() {
	s.mu.Lock()
	if s.loaded {
		return
	}
	now := time.Now()
	err := s.load(now)
	if s.revalidationDue(now) {
		err = join(err, s.revalidate(now))
	}
	if err == nil {
		return
	}
	s.m.stats.countInvalid(err)
	if s.m.cfg.OnInvalid != nil {
		s.mu.Unlock()
		s.m.cfg.OnInvalid(s.req, err)
		s.mu.Lock()
	}
}

// load opens the request's cookie or token, with s.mu held. If none opens,
// s becomes a new session, and load returns the first one's error.
func (s *Session) load(now time.Time) error {
	s.loaded = true
	s.via = s.m.transportOf(s.req)
	var buf [maxCandidates]string
	var p, best payload
	var bestKey *ringKey
	candidates, firstErr := s.candidates(buf[:0])
	s.carried = len(candidates) > 0
	var chunks *chunks
	if s.via == viaCookie && len(s.m.chunkNames) > 1 {
		chunks = s.m.readChunks(s.req.Header)
		s.chunks = chunks.carried
	}
	for i, v := range candidates {
		k, cookies, err := s.open(&p, v, chunks, now)
		if err == nil && !s.m.fits(p.plainLen()) {
			// Written before MaxSize or MaxCookies was lowered: a session
			// this Manager could not write again (to renew, re-seal or
			// record a check) does not open.
			err = invalid(ReasonTooLong)
		}
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		if bestKey == nil || p.renewedAt > best.renewedAt || (p.renewedAt == best.renewedAt && p.issuedAt > best.issuedAt) {
			best, bestKey, s.cookies, s.opened = p, k, cookies, uint8(i+1)
		}
	}
	if bestKey != nil {
		s.p, s.key = best, bestKey
		s.size = s.p.plainLen()
		// A cookie sealed under an old key or in an old format is re-sealed.
		s.dirty = s.key != s.m.keys.primary() || s.p.version == version1 || s.m.renewalDue(&s.p, now)
		return nil
	}
	s.reset(now)
	if present, err := s.migrate(now); present {
		return join(firstErr, err)
	}
	return firstErr
}

// open opens v, the value of the cookie called Name or a token, into p, and
// returns the key that opened it and how many cookies it came in. The first
// chunk of a session split over several cookies is joined with the others,
// from c.
func (s *Session) open(p *payload, v string, c *chunks, now time.Time) (*ringKey, int, error) {
	if n := chunkCount(v); n > 0 && s.via == viaCookie {
		joined, err := joinChunks(s.m.chunkNames, v, n, c)
		if err != nil {
			return nil, 0, err
		}
		k, err := s.m.codec.open(p, s.m.cfg.Name, joined, viaCookie, n, now)
		return k, n, err
	}
	k, err := s.m.codec.open(p, s.m.cfg.Name, v, s.via, 1, now)
	return k, 1, err
}

// candidates appends to dst, up to its capacity, the distinct values of
// the request's session cookies, or its token for a token request.
// Browsers send a few cookies of one name (other paths or domains); more,
// or the same value again, is not worth decrypting. A token request that
// carries several tokens has none: it gets the error.
func (s *Session) candidates(dst []string) ([]string, error) {
	if s.via == viaHeader {
		tok, err := requestToken(s.req.Header, s.m.cfg.TokenHeader)
		if tok != "" {
			dst = append(dst, tok)
		}
		return dst, err
	}
	for v := range cookieValues(s.req.Header, s.m.cfg.Name) {
		dst = addCandidate(dst, v)
	}
	return dst, nil
}

// addCandidate appends v to dst unless dst is full or holds v already.
func addCandidate(dst []string, v string) []string {
	if len(dst) < cap(dst) && !slices.Contains(dst, v) {
		dst = append(dst, v)
	}
	return dst
}

// reset makes s a new, empty session.
func (s *Session) reset(now time.Time) {
	s.p = payload{persistent: true}
	s.m.start(&s.p, now)
	s.size = s.p.plainLen()
	s.key = nil
	s.isNew = true
}

// Get unmarshals the value stored under key into dst, a pointer, and reports
// whether the key was present. A missing key leaves dst unchanged.
func (s *Session) Get(key string, dst any) (bool, error) {
	s.lock()
	defer s.mu.Unlock()
	i, ok := s.find(key)
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(s.p.entries[i].value, dst); err != nil {
		return true, fmt.Errorf("cookiesession: session value %q: %w", key, err)
	}
	return true, nil
}

// Has reports whether the session holds a value under key.
func (s *Session) Has(key string) bool {
	s.lock()
	defer s.mu.Unlock()
	_, ok := s.find(key)
	return ok
}

// Set stores value, marshalled as JSON, under key. If the cookie would then
// exceed the browser's limit it returns a [*SizeError] matching
// [ErrTooLarge] and leaves the session as it was. Setting a value equal to
// the stored one is not a change.
func (s *Session) Set(key string, value any) error {
	v, err := marshal(key, value)
	if err != nil {
		return err
	}
	s.lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	return s.countTooLarge(s.put(key, v))
}

// countTooLarge counts a write that Set or Flash refused for its size.
func (s *Session) countTooLarge(err error) error {
	if err != nil {
		s.m.stats.tooLarge.Add(1)
	}
	return err
}

// put is Set with s.mu held, for a valid key and its JSON value; its only
// error is a *SizeError.
func (s *Session) put(key string, v []byte) error {
	i, ok := s.find(key)
	size := s.size + entryHeader + len(key) + len(v)
	if ok {
		if string(s.p.entries[i].value) == string(v) {
			return nil
		}
		size -= entryHeader + len(key) + len(s.p.entries[i].value)
	}
	if err := s.fits(size, key, len(v)); err != nil {
		return err
	}
	if ok {
		s.p.entries[i].value = v
	} else {
		s.p.entries = slices.Insert(s.p.entries, i, entry{key: key, value: v})
	}
	s.size = size
	s.change()
	return nil
}

// Delete removes the value stored under key, if any.
func (s *Session) Delete(key string) {
	s.lockToChange()
	defer s.mu.Unlock()
	if i, ok := s.find(key); ok {
		s.change()
		s.size -= entryHeader + len(key) + len(s.p.entries[i].value)
		s.p.entries = slices.Delete(s.p.entries, i, i+1)
	}
}

// Clear removes every value, keeping the session's ID, times and flashes.
func (s *Session) Clear() {
	s.lockToChange()
	defer s.mu.Unlock()
	if len(s.p.entries) > 0 {
		s.change()
		s.p.entries = nil
		s.size = s.p.plainLen()
	}
}

// Keys returns the keys of the stored values in increasing order.
func (s *Session) Keys() []string {
	s.lock()
	defer s.mu.Unlock()
	keys := make([]string, len(s.p.entries))
	for i, e := range s.p.entries {
		keys[i] = e.key
	}
	return keys
}

// Flash adds a one-shot message of the given kind (for example "info" or
// "error"), to be read by [Session.Flashes] on this or a later request. Like
// [Session.Set], it refuses with [ErrTooLarge] what would not fit.
func (s *Session) Flash(kind, message string) error {
	v, err := marshal(kind, message)
	if err != nil {
		return err
	}
	s.lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	return s.countTooLarge(s.addFlash(kind, v))
}

// addFlash is Flash with s.mu held, for a valid kind and a JSON string;
// its only error is a *SizeError.
func (s *Session) addFlash(kind string, v []byte) error {
	size := s.size + entryHeader + len(kind) + len(v)
	if err := s.fits(size, kind, len(v)); err != nil {
		return err
	}
	s.p.flashes = append(s.p.flashes, entry{key: kind, value: v})
	s.size = size
	s.change()
	return nil
}

// Flashes returns and removes the messages of the given kind, oldest first.
// Read flashes before writing the response: afterwards their removal could
// not reach the browser, so Flashes panics, like every method that may
// change the session once the response's headers are sent.
func (s *Session) Flashes(kind string) []string {
	s.lockToChange()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.p.flashes, func(f entry) bool { return f.key == kind }) {
		return nil
	}
	s.change()
	var msgs []string
	s.p.flashes = slices.DeleteFunc(s.p.flashes, func(f entry) bool {
		if f.key != kind {
			return false
		}
		var m string
		if json.Unmarshal(f.value, &m) == nil {
			msgs = append(msgs, m)
		}
		s.size -= entryHeader + len(f.key) + len(f.value)
		return true
	})
	return msgs
}

// Destroy ends the session: the response deletes the cookie (or, for a
// token, hands back an empty one), and s becomes a new, empty session.
// Anything stored in s afterwards (a "logged out" flash, say) is sent in a
// new cookie with a new ID instead.
func (s *Session) Destroy() {
	s.lockToChange()
	defer s.mu.Unlock()
	s.destroy(time.Now())
}

// destroy is Destroy with s.mu held.
func (s *Session) destroy(now time.Time) {
	s.change()
	s.reset(now)
	s.destroyed = true
	s.dirty = false
}

// Regenerate gives the session a new ID, issued-at time and absolute expiry,
// keeping its values and flashes. Call it when a user logs in or gains
// privileges, so that a session ID planted before (session fixation) is
// worth nothing afterwards.
//
// Unlike express-session's regenerate(), which gives an empty session,
// Regenerate keeps the values, so that a cart filled before login can
// survive it. At login, call [Session.Clear] too, so that nothing of the
// previous session (on a shared browser, another user's) carries over:
//
//	s.Regenerate()
//	s.Clear()
//	err := s.Set("user", user)
func (s *Session) Regenerate() {
	s.lockToChange()
	defer s.mu.Unlock()
	s.change()
	s.m.start(&s.p, time.Now())
	s.size = s.p.plainLen() // no check recorded any more
}

// Touch re-issues the cookie on this response, restarting the idle timeout.
// It does not extend the absolute lifetime.
func (s *Session) Touch() {
	s.lockToChange()
	defer s.mu.Unlock()
	s.dirty = true
}

// SetPersistent chooses between a persistent cookie (the default), which
// the browser keeps until the session expires, and a browser-session cookie,
// which it drops when it closes: "remember me" off. The choice is sealed in
// the cookie and kept by later requests.
func (s *Session) SetPersistent(persistent bool) {
	s.lockToChange()
	defer s.mu.Unlock()
	if s.p.persistent != persistent {
		s.change()
		s.p.persistent = persistent
	}
}

// Persistent reports whether the cookie is persistent; see [Session.SetPersistent].
func (s *Session) Persistent() bool {
	s.lock()
	defer s.mu.Unlock()
	return s.p.persistent
}

// ID returns the session's random ID as 22 characters of base64url. It
// changes on [Session.Regenerate] and [Session.Destroy].
func (s *Session) ID() string {
	s.lock()
	defer s.mu.Unlock()
	return base64.RawURLEncoding.EncodeToString(s.p.id[:])
}

// IssuedAt returns when the session was created or last regenerated.
func (s *Session) IssuedAt() time.Time {
	s.lock()
	defer s.mu.Unlock()
	return time.Unix(s.p.issuedAt, 0)
}

// ExpiresAt returns when the session expires unless renewed: its absolute
// expiry, or the end of the idle timeout if that comes first.
func (s *Session) ExpiresAt() time.Time {
	s.lock()
	defer s.mu.Unlock()
	return time.Unix(s.m.codec.expiry(&s.p), 0)
}

// KeyID returns the ID of the key that sealed the cookie this session came
// from, or "" for a new session.
func (s *Session) KeyID() string {
	s.lock()
	defer s.mu.Unlock()
	if s.key == nil {
		return ""
	}
	return s.key.idString()
}

// IsNew reports whether the session did not come from a valid cookie.
func (s *Session) IsNew() bool {
	s.lock()
	defer s.mu.Unlock()
	return s.isNew
}

// IsChanged reports whether this request changed the session's values,
// flashes, persistence or identity.
func (s *Session) IsChanged() bool {
	s.lock()
	defer s.mu.Unlock()
	return s.changed
}

// IsPopulated reports whether the session holds any value or flash.
func (s *Session) IsPopulated() bool {
	s.lock()
	defer s.mu.Unlock()
	return s.populated()
}

// Size returns the length the session's cookies have when written: their
// names plus their values, to compare with [MaxCookieSize], or with
// [Config.MaxSize] for a session split over several cookies. Such a session
// takes ceil(Size/MaxCookieSize) cookies, each but the last exactly
// MaxCookieSize bytes.
func (s *Session) Size() int {
	s.lock()
	defer s.mu.Unlock()
	_, size := s.m.layout(s.size)
	return size
}

func (s *Session) populated() bool { return len(s.p.entries) > 0 || len(s.p.flashes) > 0 }

// change records a change that the cookie must carry.
func (s *Session) change() { s.changed, s.dirty = true, true }

func (s *Session) writable() error {
	if s.committed {
		return ErrCommitted
	}
	return nil
}

// find returns the index of key in the sorted entries, or where it belongs.
func (s *Session) find(key string) (int, bool) {
	return slices.BinarySearchFunc(s.p.entries, key, func(e entry, k string) int { return cmp.Compare(e.key, k) })
}

// fits returns a *SizeError if a plaintext of size bytes would not fit in
// the cookies the Manager allows, naming the largest entries (counting the
// pending one).
func (s *Session) fits(size int, key string, valueLen int) error {
	if s.m.fits(size) {
		return nil
	}
	type sized struct {
		key string
		n   int
	}
	all := []sized{{key, entryHeader + len(key) + valueLen}}
	for _, e := range s.p.entries {
		if e.key != key {
			all = append(all, sized{e.key, entryHeader + len(e.key) + len(e.value)})
		}
	}
	slices.SortStableFunc(all, func(a, b sized) int { return cmp.Compare(b.n, a.n) })
	largest := make([]string, 0, 3)
	for _, e := range all[:min(3, len(all))] {
		largest = append(largest, fmt.Sprintf("%s (%d bytes)", e.key, e.n))
	}
	_, total := s.m.layout(size)
	return &SizeError{Name: s.m.cfg.Name, Size: total, Limit: s.m.limit, Largest: largest}
}

// commitment is what a response must carry for its session.
type commitment struct {
	value        string   // the Set-Cookie line, or for a token the token ("" ends the session)
	more         []string // further Set-Cookie lines: the other chunks, and deletions of unused ones
	token        bool     // the session travels as a token
	write        bool     // value must be written
	read         bool     // the session was read, so the response varies on it
	deleteLegacy bool     // the session came from a legacy cookie, which the response deletes
}

// commit decides, once, what the response must carry; afterwards it
// returns only whether the session was read.
func (s *Session) commit(now time.Time) (commitment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := commitment{read: s.loaded, token: s.via == viaHeader}
	if s.committed || !s.loaded {
		s.committed = true
		return c, nil
	}
	s.committed = true
	c.deleteLegacy = s.migrated
	if now.Unix() >= s.p.expiresAt { // expired during the request
		s.destroyed, s.p.entries, s.p.flashes = true, nil, nil
	}
	var p *payload
	switch {
	case s.populated() && (s.dirty || s.destroyed):
		s.p.renewedAt = max(now.Unix(), s.p.issuedAt, s.p.checkedAt)
		p = &s.p
	case s.destroyed || s.dirty && !s.isNew:
		// Destroyed, or emptied by Delete, Clear or Flashes: delete the
		// cookies the request carried. A request that carried none (such
		// as a cross-site one, which SameSite withheld them from) deletes
		// nothing, so that it cannot sign the user out.
		if !s.carried {
			c.more = s.deleteChunks(1)
			return c, nil
		}
	default:
		// Nothing to write; a valid session's chunks beyond its count are
		// left from an earlier, larger write: delete them.
		if !s.isNew {
			c.more = s.deleteChunks(s.cookies)
		}
		return c, nil
	}
	var err error
	c.value, c.more, err = s.m.sealed(p, s.via, now)
	if err != nil {
		return c, err
	}
	c.write = true
	if p != nil {
		s.count()
	}
	if s.via == viaCookie {
		c.more = append(c.more, s.deleteChunks(1+len(c.more))...)
	}
	return c, nil
}

// deleteChunks returns the Set-Cookie lines that delete the chunk cookies
// the request carried from index from on.
func (s *Session) deleteChunks(from int) []string {
	var lines []string
	for i := max(from, 1); i < len(s.m.chunkNames); i++ {
		if s.chunks.has(i) {
			lines = append(lines, s.m.deletes[i])
		}
	}
	return lines
}

// count adds a write of s to its Manager's statistics.
func (s *Session) count() {
	c := &s.m.stats
	switch {
	case s.isNew:
		c.issued.Add(1)
	case s.migrated:
		// counted as migrated when it was
	default:
		if s.key != s.m.keys.primary() {
			c.resealed.Add(1)
		}
		if s.p.version == version1 {
			c.upgraded.Add(1)
		}
	}
}

// join returns a and b joined, or the one that is not nil.
func join(a, b error) error {
	if a == nil || b == nil {
		return cmp.Or(a, b)
	}
	return errors.Join(a, b)
}

func marshal(key string, value any) ([]byte, error) {
	if len(key) == 0 || len(key) > maxKeyLen || !utf8.ValidString(key) {
		return nil, ErrKey
	}
	v, err := json.Marshal(value)
	if err != nil {
		return nil, fmt.Errorf("cookiesession: session value %q: %w", key, err)
	}
	return v, nil
}
