package cookiesession

import (
	"errors"
	"time"
)

// ErrRevalidateLater is what [Config.Revalidate] returns, or wraps, when it
// cannot decide: its database is unreachable, say. The session is kept for
// this request, unchanged, and the hook runs again on the session's next
// request. Whether an outage should keep users signed in (return this) or
// sign them out (return any other error) is the application's choice.
var ErrRevalidateLater = errors.New("cookiesession: session not revalidated; try again on the next request")

// revalidationDue reports whether Config.Revalidate must check s, with
// s.mu held: a session that came from a cookie or token whose last check
// is RevalidateEvery old.
func (s *Session) revalidationDue(now time.Time) bool {
	cfg := &s.m.cfg
	if cfg.Revalidate == nil || s.isNew {
		return false
	}
	checked := max(s.p.checkedAt, s.p.issuedAt)
	return now.Unix()-checked >= int64(cfg.RevalidateEvery/time.Second)
}

// revalidate runs Config.Revalidate with s.mu held on entry and on return,
// but not during the call, so that the hook may use the session. A failure
// ends the session as Destroy does and returns an *InvalidError for
// OnInvalid. A pass records the time of the check in the cookie, if the
// interval is positive and the eight bytes it takes fit; otherwise the
// next request checks again.
func (s *Session) revalidate(now time.Time) error {
	id := s.p.id
	s.mu.Unlock()
	err := s.m.cfg.Revalidate(s.req, s)
	s.mu.Lock()
	c := &s.m.stats
	switch {
	case errors.Is(err, ErrRevalidateLater):
		c.deferred.Add(1)
		return nil
	case err != nil:
		c.failed.Add(1)
		if !s.committed {
			s.destroy(now)
		}
		return &InvalidError{Reason: ReasonRevalidation, Err: err}
	}
	c.passed.Add(1)
	if s.m.cfg.RevalidateEvery <= 0 || s.p.id != id || s.committed {
		return nil // nothing to record, or the hook replaced the session
	}
	checked := s.p.checkedAt
	s.p.checkedAt = now.Unix()
	if size := s.p.plainLen(); len(s.m.cfg.Name)+encodedLen(size) <= MaxCookieSize {
		s.size = size
		s.dirty = true
	} else {
		s.p.checkedAt = checked
	}
	return nil
}
