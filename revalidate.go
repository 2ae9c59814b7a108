package cookiesession

import (
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// ErrRevalidateLater is what [Config.Revalidate] returns, or wraps, when it
// cannot decide: its database is unreachable, say. The session is kept for
// this request, with no check recorded, and the hook runs again on the
// session's next request that does not share this check (see
// [Config.Revalidate]). Whether an outage should keep users signed in
// (return this) or sign them out (return any other error) is the
// application's choice.
//
// Returning it fails open: a session that the database would end (a
// stolen cookie after a password change) keeps working for as long as the
// hook returns ErrRevalidateLater, however long the outage lasts. Bound
// that window in the hook: return ErrRevalidateLater only while
// [Session.RevalidatedAt] is recent, and an error after that.
var ErrRevalidateLater = errors.New("cookiesession: session not revalidated; try again on the next request")

// revalidationDue reports whether Config.Revalidate must check s, with
// s.mu held: a session that came from a cookie or token whose last check
// is RevalidateEvery old, or one made from a legacy cookie, never checked.
func (s *Session) revalidationDue(now time.Time) bool {
	cfg := &s.m.cfg
	switch {
	case cfg.Revalidate == nil || s.isNew:
		return false
	case s.migrated:
		return true
	}
	return now.Unix()-s.lastPass() >= int64(cfg.RevalidateEvery/time.Second)
}

// check runs Config.Revalidate with s.mu held, on a copy of s, so that
// the request's other uses of the session wait for the verdict. A pass, or
// ErrRevalidateLater, keeps what the hook did to the copy; a pass also
// records the time of the check in the cookie, if the interval is
// positive and the eight bytes it takes fit (otherwise the next request
// checks again). A failure, or a panic in the hook, ends the session as
// Destroy does; the panic goes no further.
func (s *Session) check(now time.Time) (v verdict) {
	c := s.copyForCheck()
	returned := false
	defer func() {
		// Judged by whether the hook returned, not by what recover gives:
		// with GODEBUG=panicnil=1, panic(nil) recovers as nil.
		if !returned {
			v = s.fail(now, &PanicError{Value: recover(), Stack: debug.Stack()})
		}
	}()
	err := s.m.cfg.Revalidate(s.req, c)
	returned = true
	switch {
	case errors.Is(err, ErrRevalidateLater):
		s.m.stats.deferred.Add(1)
		s.adopt(c)
		return verdict{later: true}
	case err != nil:
		return s.fail(now, err)
	}
	s.m.stats.passed.Add(1)
	id := s.p.id
	s.adopt(c)
	if s.m.cfg.RevalidateEvery <= 0 || s.p.id != id || s.committed {
		return verdict{} // nothing to record, or the hook replaced the session
	}
	checked := s.p.checkedAt
	s.p.checkedAt = now.Unix()
	if size := s.p.plainLen(); s.m.fits(size) {
		s.size = size
		s.dirty = true
	} else {
		s.p.checkedAt = checked
	}
	return verdict{}
}

// fail ends s, with s.mu held, for a check that failed with cause.
func (s *Session) fail(now time.Time, cause error) verdict {
	s.m.stats.failed.Add(1)
	s.destroy(now)
	return verdict{cause: cause}
}

// copyForCheck returns a copy of s, loaded and not committed, that shares
// nothing the copy's methods change.
func (s *Session) copyForCheck() *Session {
	c := &Session{m: s.m, req: s.req, loaded: true, via: s.via, key: s.key, migrated: s.migrated}
	c.set(s.state().clone())
	return c
}

// adopt takes into s what Revalidate did to its copy c.
func (s *Session) adopt(c *Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.set(c.state())
}

// A PanicError is the cause, in an [*InvalidError] with ReasonRevalidation,
// of a session that [Config.Revalidate] ended by panicking. The panic goes
// no further than the hook: the session ends as on any other failure, and
// the request goes on with a new, empty one. Log the Stack from
// [Config.OnInvalid] to find the bug.
type PanicError struct {
	Value any    // what the hook panicked with
	Stack []byte // the hook's goroutine's stack at the panic, as debug.Stack formats it
}

func (e *PanicError) Error() string { return fmt.Sprintf("Config.Revalidate panicked: %v", e.Value) }

// Unwrap returns Value if it is an error, and nil otherwise.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// RevalidatedAt returns when [Config.Revalidate] last passed for the
// session, as its cookie or token records it, or the session's issued-at
// time if no check is recorded: a new session, one just regenerated, or
// one of a Manager whose RevalidateEvery is zero, which records no check.
// Within Revalidate, the copy the hook is given reports the check before
// the running one, so the hook can tell how long the session has gone
// unchecked; see [ErrRevalidateLater].
func (s *Session) RevalidatedAt() time.Time {
	s.lock()
	defer s.mu.Unlock()
	return time.Unix(s.lastPass(), 0)
}

// lastPass is RevalidatedAt in Unix seconds, with s.mu held.
func (s *Session) lastPass() int64 { return max(s.p.checkedAt, s.p.issuedAt) }
