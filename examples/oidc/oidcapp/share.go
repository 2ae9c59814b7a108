package oidcapp

import (
	"crypto/sha256"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// shareFor is how long a refresh's answer is remembered for the requests
// that still carry the refresh token it rotated.
const shareFor = 30 * time.Second

// refreshes shares one refresh among the requests that present the same
// refresh token: the provider rotates refresh tokens, and refuses one it
// has replaced, so a second refresh with it would end the session. Two
// requests present the same refresh token when a page's requests that use
// the session run side by side as a check falls due, or when a request
// sent with the old cookie arrives after the refresh. Those within
// shareFor get the first refresh's tokens. It covers one process only:
// see README.md for several replicas.
type refreshes struct {
	mu    sync.Mutex
	calls map[[32]byte]*refreshCall // by the SHA-256 of the refresh token
}

type refreshCall struct {
	done chan struct{} // closed when tok and err are set
	tok  *oauth2.Token
	err  error
	at   time.Time // when it finished
}

// do returns the answer of refresh for the refresh token rt: a refresh in
// progress or finished within shareFor, or a new one.
func (s *refreshes) do(rt string, refresh func() (*oauth2.Token, error)) (*oauth2.Token, error) {
	key := sha256.Sum256([]byte(rt))
	now := time.Now()
	s.mu.Lock()
	if s.calls == nil {
		s.calls = make(map[[32]byte]*refreshCall)
	}
	for k, c := range s.calls {
		if !c.at.IsZero() && now.Sub(c.at) > shareFor {
			delete(s.calls, k)
		}
	}
	c, ok := s.calls[key]
	if !ok {
		c = &refreshCall{done: make(chan struct{})}
		s.calls[key] = c
	}
	s.mu.Unlock()
	if ok {
		<-c.done
		return c.tok, c.err
	}
	c.tok, c.err = refresh()
	s.mu.Lock()
	if c.err != nil {
		delete(s.calls, key) // a failure is not shared with later requests
	}
	c.at = time.Now()
	s.mu.Unlock()
	close(c.done)
	return c.tok, c.err
}
