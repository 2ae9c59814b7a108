package cookiesession

import (
	"slices"
	"sync"
	"time"
)

// Requests that carry one sealed value (a single-page app's parallel
// calls, or requests the browser sent before a new cookie reached it)
// share one check of it: the first runs Config.Revalidate, the others
// wait for its verdict, and a finished check's verdict is remembered for a
// short grace period. A hook that refreshes a token that may be used once
// then refreshes it once.

const (
	// flightGrace is how long a finished check's verdict answers requests
	// that carry the value it checked, at most: long enough for requests
	// the browser sent before the response that recorded the check reached
	// it. It never exceeds RevalidateEvery, so that the value, had it been
	// re-issued with the check recorded, would not be checked again either.
	flightGrace = 5 * time.Second

	// maxFlights bounds the checks a Manager tracks, running and
	// remembered; maxRememberedBytes bounds the session data that
	// remembered verdicts hold. Past them, the oldest remembered verdicts
	// are forgotten, and a check that finds only running ones runs alone.
	maxFlights         = 1024
	maxRememberedBytes = 1 << 20
	verdictOverhead    = 256 // bytes a remembered verdict holds besides session data
)

// flightKeyLen is the length of a sealed value's base64url header
// (version, key ID and nonce), which is unique per seal.
const flightKeyLen = (8*headerSize + 5) / 6

// flightKey identifies a sealed value by its encoded header.
type flightKey [flightKeyLen]byte

// checks are a Manager's running checks and remembered verdicts.
type checks struct {
	grace time.Duration

	mu    sync.Mutex
	m     map[flightKey]*flight
	done  []*flight // the remembered ones, oldest first; each is in m
	bytes int       // what done's verdicts hold
}

// flight is one check of one sealed value.
type flight struct {
	key   flightKey
	ready chan struct{} // closed once v is set
	v     verdict
	until time.Time // for a remembered verdict, when it is forgotten
}

// verdict is the outcome of a check, for the requests that share it.
type verdict struct {
	shared bool    // false: each waiting request checks for itself
	later  bool    // the hook returned ErrRevalidateLater
	cause  error   // why the check failed: the hook's error, or a *PanicError
	state  checked // after a pass, the session as the check left it
}

// checked is what a check may change of a session.
type checked struct {
	p                                payload
	size                             int
	isNew, changed, dirty, destroyed bool
}

func newChecks(cfg *Config) *checks {
	return &checks{grace: min(flightGrace, cfg.RevalidateEvery), m: make(map[flightKey]*flight)}
}

// join returns the flight of key: a running or remembered one, or a new
// one, which the caller must run and finish. It returns nil if the
// Manager tracks too many running checks to track another.
func (cs *checks) join(key flightKey, now time.Time) (f *flight, run bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for len(cs.done) > 0 && !now.Before(cs.done[0].until) {
		cs.forgetOldest()
	}
	if f := cs.m[key]; f != nil {
		return f, false
	}
	if len(cs.m) >= maxFlights {
		if len(cs.done) == 0 {
			return nil, false
		}
		cs.forgetOldest()
	}
	f = &flight{key: key, ready: make(chan struct{})}
	cs.m[key] = f
	return f, true
}

// finish gives f's waiters the verdict v, and remembers v for the grace
// period if it may be shared.
func (cs *checks) finish(f *flight, v verdict) {
	cs.mu.Lock()
	f.v = v
	if v.shared && cs.grace > 0 {
		f.until = time.Now().Add(cs.grace)
		cs.done = append(cs.done, f)
		cs.bytes += v.cost()
		for cs.bytes > maxRememberedBytes {
			cs.forgetOldest()
		}
	} else {
		delete(cs.m, f.key)
	}
	cs.mu.Unlock()
	close(f.ready)
}

// forgetOldest forgets the oldest remembered verdict, with cs.mu held.
func (cs *checks) forgetOldest() {
	f := cs.done[0]
	cs.done[0] = nil
	cs.done = cs.done[1:]
	cs.bytes -= f.v.cost()
	delete(cs.m, f.key)
}

// cost is about how many bytes v holds.
func (v *verdict) cost() int { return verdictOverhead + v.state.size }

// err returns the error for OnInvalid of a request that takes v.
func (v *verdict) err() error {
	if v.cause == nil {
		return nil
	}
	return &InvalidError{Reason: ReasonRevalidation, Err: v.cause}
}

// flightKey returns the key of the value s was opened from; false for a
// session that came from no sealed value, such as a migrated one.
func (s *Session) flightKey() (k flightKey, ok bool) {
	var buf [maxCandidates]string
	candidates, _ := s.candidates(buf[:0])
	if s.opened == 0 || int(s.opened) > len(candidates) {
		return k, false
	}
	copy(k[:], candidates[s.opened-1])
	return k, true
}

// revalidate checks s with s.mu held, sharing the check with the requests
// that carry the same sealed value: if another request's check of it is
// running, or finished within the grace period, s waits for its verdict
// and takes it; otherwise s runs the check, and its verdict is theirs.
// Waiting holds no lock but s's own.
func (s *Session) revalidate(now time.Time) error {
	key, ok := s.flightKey()
	for ok {
		f, run := s.m.checks.join(key, now)
		switch {
		case f == nil:
			ok = false // too many checks running: check alone
		case run:
			return s.runFlight(f, now)
		default:
			<-f.ready
			if f.v.shared {
				s.m.stats.coalesced.Add(1)
				return s.take(&f.v, now)
			}
			// The check failed because its own request was canceled: it
			// says nothing of the session, so check again.
		}
	}
	v := s.check(now)
	return v.err()
}

// runFlight checks s for the requests that wait on f, with s.mu held.
func (s *Session) runFlight(f *flight, now time.Time) error {
	var v verdict // not shared if the hook never returns (runtime.Goexit)
	defer func() { s.m.checks.finish(f, v) }()
	v = s.check(now)
	// A check that failed or deferred while its request was being canceled
	// may have failed for that reason (a database call given the request's
	// context): it is this request's, not the others'.
	passed := v.cause == nil && !v.later
	v.shared = passed || s.req.Context().Err() == nil
	if passed {
		v.state = s.state().clone()
	}
	return v.err()
}

// take gives s, with s.mu held, the verdict of another request's check:
// after a pass, the session as that check left it, check recorded; after a
// failure, the end of the session; after ErrRevalidateLater, s as it is.
func (s *Session) take(v *verdict, now time.Time) error {
	switch {
	case v.cause != nil:
		s.destroy(now)
	case !v.later:
		s.set(v.state.clone())
	}
	return v.err()
}

// state returns what a check may change of s, sharing s's entries and
// flashes.
func (s *Session) state() checked {
	return checked{p: s.p, size: s.size, isNew: s.isNew, changed: s.changed, dirty: s.dirty, destroyed: s.destroyed}
}

// set gives s the state st.
func (s *Session) set(st checked) {
	s.p, s.size, s.isNew = st.p, st.size, st.isNew
	s.changed, s.dirty, s.destroyed = st.changed, st.dirty, st.destroyed
}

// clone returns st with entries and flashes of its own, which a
// session's methods may change without changing st's.
func (st checked) clone() checked {
	st.p.entries = slices.Clone(st.p.entries)
	st.p.flashes = slices.Clone(st.p.flashes)
	return st
}
