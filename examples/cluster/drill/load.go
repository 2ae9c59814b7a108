package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cookiesession/cookiesession/examples/cluster/replica"
)

const (
	think          = 20 * time.Millisecond // a client's mean pause between requests
	requestTimeout = 15 * time.Second
	maxRequests    = 100_000 // per client: the load stops by itself
	maxSamples     = 5       // problems described per phase
)

// A client is one user: its own cookie jar, logged in once, reading and
// incrementing its counter, and knowing at every moment the value the
// counter must have.
type client struct {
	name    string
	hc      *http.Client
	base    string // the balancer's URL
	session string // the session ID login gave; "" when logged out
	count   int    // the value the counter must have

	mu       sync.Mutex // guards what the drill reads while the client runs
	epoch    int64      // the load's epoch when the last success started
	streak   int        // successes started in that epoch
	lastKey  string     // the key that opened the cookie on the last success
	perPhase []int      // requests made in each phase
	outIn    []bool     // whether it was logged out in each phase
}

// tally counts one phase's requests and what went wrong with them.
type tally struct {
	requests, failures, lostWrites, logouts atomic.Uint64
	served                                  sync.Map // replica name -> *atomic.Uint64

	mu      sync.Mutex
	samples []string
}

// load runs the clients and attributes each request to the phase in which
// it started.
type load struct {
	tr      *http.Transport // the clients' connections to the balancer
	clients []*client
	tallies []*tally
	phase   atomic.Int64
	epoch   atomic.Int64
}

func newLoad(base string, clients, phases int) *load {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, IdleConnTimeout: 30 * time.Second}
	l := &load{tr: tr}
	for i := range clients {
		jar, _ := cookiejar.New(nil) // never fails without options
		l.clients = append(l.clients, &client{
			name:     fmt.Sprintf("c%02d", i+1),
			hc:       &http.Client{Transport: tr, Jar: loopbackJar{jar}, Timeout: requestTimeout},
			base:     base,
			perPhase: make([]int, phases),
			outIn:    make([]bool, phases),
		})
	}
	for range phases {
		l.tallies = append(l.tallies, &tally{})
	}
	return l
}

// run runs every client until ctx is done, and then logs each one out.
func (l *load) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, c := range l.clients {
		wg.Go(func() { l.runClient(ctx, c) })
	}
	wg.Wait()
}

func (l *load) runClient(ctx context.Context, c *client) {
	for i := 0; i < maxRequests; i++ {
		switch {
		case c.session == "":
			l.call(ctx, c, "POST", "/login", url.Values{"user": {c.name}})
		case i%2 == 0:
			l.call(ctx, c, "POST", "/counter", nil)
		default:
			l.call(ctx, c, "GET", "/counter", nil)
		}
		pause := time.Duration(rand.Int64N(int64(2 * think)))
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// call makes one request and checks its answer against what c knows.
func (l *load) call(ctx context.Context, c *client, method, path string, form url.Values) {
	phase, epoch := l.phase.Load(), l.epoch.Load()
	st, code, err := c.do(ctx, method, path, form)
	if ctx.Err() != nil {
		return // the load is ending: the request was cut short, not failed
	}
	t := l.tallies[phase]
	t.requests.Add(1)
	c.mu.Lock()
	c.perPhase[phase]++
	c.mu.Unlock()
	what := c.name + " " + method + " " + path
	switch {
	case err != nil:
		t.failures.Add(1)
		t.sample(fmt.Sprintf("failure: %s: %v", what, err))
		c.session = "" // whether the change took effect is unknown: start again
		return
	case code == http.StatusUnauthorized && path != "/login":
		t.count(st.Replica)
		l.loggedOut(c, phase)
		t.sample(fmt.Sprintf("logout: %s: 401 from %s", what, st.Replica))
		return
	case code != http.StatusOK:
		t.failures.Add(1)
		t.sample(fmt.Sprintf("failure: %s: %d %s from %s", what, code, http.StatusText(code), st.Replica))
		return
	}
	t.count(st.Replica)
	want := c.count
	switch {
	case path == "/login":
		c.session, want = st.Session, 0
	case st.Session != c.session:
		l.loggedOut(c, phase)
		t.sample(fmt.Sprintf("logout: %s: session replaced by %s", what, st.Replica))
		return
	case method == "POST":
		want++
	}
	if st.Count != want || st.User != c.name {
		t.lostWrites.Add(1)
		t.sample(fmt.Sprintf("lost write: %s: %s's counter is %d, want %d (served by %s)", what, st.User, st.Count, want, st.Replica))
	}
	c.count = st.Count
	c.succeeded(epoch, st.OpenedBy)
}

// do sends one request through the balancer and decodes the answer.
func (c *client) do(ctx context.Context, method, path string, form url.Values) (replica.State, int, error) {
	var st replica.State
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return st, 0, err
	}
	if method == "POST" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return st, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return st, 0, err
	}
	if err := json.Unmarshal(body, &st); err != nil && resp.StatusCode == http.StatusOK {
		return st, 0, fmt.Errorf("decoding %q: %w", body, err)
	}
	return st, resp.StatusCode, nil
}

// loggedOut counts a logout of c, which logs in again next.
func (l *load) loggedOut(c *client, phase int64) {
	l.tallies[phase].logouts.Add(1)
	c.session = ""
	c.mu.Lock()
	c.outIn[phase] = true
	c.mu.Unlock()
}

func (c *client) succeeded(epoch int64, openedBy string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		c.epoch, c.streak = epoch, 0
	}
	c.streak++
	c.lastKey = openedBy
}

// settle starts a new epoch and waits until every client has made rounds
// successful requests in it, or until timeout has passed; it returns how
// many clients did not. A cookie that a response in the epoch set is shown
// sealed under the new key by the key that opens it on the next request.
func (l *load) settle(ctx context.Context, rounds int, timeout time.Duration) (int, error) {
	epoch := l.epoch.Add(1)
	deadline := time.Now().Add(timeout)
	for {
		behind := 0
		for _, c := range l.clients {
			c.mu.Lock()
			if c.epoch != epoch || c.streak < rounds {
				behind++
			}
			c.mu.Unlock()
		}
		if behind == 0 || time.Now().After(deadline) {
			return behind, nil
		}
		select {
		case <-ctx.Done():
			return behind, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// onKey returns how many clients' last successful request was opened by
// the key with ID id.
func (l *load) onKey(id string) int {
	n := 0
	for _, c := range l.clients {
		c.mu.Lock()
		if c.lastKey == id {
			n++
		}
		c.mu.Unlock()
	}
	return n
}

// clientsLoggedOut returns how many clients were logged out in phase.
func (l *load) clientsLoggedOut(phase int) int {
	n := 0
	for _, c := range l.clients {
		c.mu.Lock()
		if c.outIn[phase] {
			n++
		}
		c.mu.Unlock()
	}
	return n
}

// fewest returns the fewest requests any client made in phase.
func (l *load) fewest(phase int) int {
	least := -1
	for _, c := range l.clients {
		c.mu.Lock()
		if n := c.perPhase[phase]; least < 0 || n < least {
			least = n
		}
		c.mu.Unlock()
	}
	return least
}

// logout logs every client out at the end of the drill, in the last phase,
// checks that its session is gone (the next read gets 401), and closes the
// clients' connections. A connection the client opened but never used
// would keep nginx's graceful shutdown waiting.
func (l *load) logout(ctx context.Context) {
	defer l.tr.CloseIdleConnections()
	t := l.tallies[l.phase.Load()]
	var wg sync.WaitGroup
	for _, c := range l.clients {
		wg.Go(func() {
			st, code, err := c.do(ctx, "POST", "/logout", nil)
			if err == nil && code == http.StatusOK {
				t.count(st.Replica)
				_, code, err = c.do(ctx, "GET", "/counter", nil)
				if err == nil && code != http.StatusUnauthorized {
					err = fmt.Errorf("read after logout: got %d, want 401", code)
				}
			} else if err == nil {
				err = fmt.Errorf("got %d, want 200", code)
			}
			t.requests.Add(2)
			if err != nil {
				t.failures.Add(1)
				t.sample(fmt.Sprintf("failure: %s logout: %v", c.name, err))
			}
		})
	}
	wg.Wait()
}

// loopbackJar treats the drill's plain-HTTP loopback origin as secure, as
// browsers do, so that the replicas' Secure, __Host- cookies (the
// library's defaults) are sent back. Go's cookiejar does so itself only
// from Go 1.26 on.
type loopbackJar struct{ http.CookieJar }

func (j loopbackJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.CookieJar.SetCookies(secure(u), cookies)
}

func (j loopbackJar) Cookies(u *url.URL) []*http.Cookie { return j.CookieJar.Cookies(secure(u)) }

func secure(u *url.URL) *url.URL {
	s := *u
	s.Scheme = "https"
	return &s
}

func (t *tally) count(replica string) {
	v, _ := t.served.LoadOrStore(replica, new(atomic.Uint64))
	v.(*atomic.Uint64).Add(1)
}

func (t *tally) sample(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.samples) < maxSamples {
		t.samples = append(t.samples, s)
	}
}
