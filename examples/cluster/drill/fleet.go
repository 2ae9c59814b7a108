package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/cluster/replica"
)

// A fleet is the replicas and the balancer in front of them.
type fleet struct {
	ps       *procs
	replicas []*member
	lb       *balancer
	direct   *http.Client // to the replicas themselves, for health and stats
}

// A member is one replica: its name and address stay, its process changes
// at each restart.
type member struct {
	name string
	addr string // 127.0.0.1:port
	keys string // SESSION_KEYS of its current process
	p    *process
	dir  string // where its process writes its last statistics

	start figures // the current process's, as the phase began; zero if it began after
	done  figures // of the processes that exited during the phase
}

func (m *member) statsFile() string { return filepath.Join(m.dir, m.name+".stats.json") }

// A balancer spreads requests over the replicas, round robin.
type balancer struct {
	name   string // for the report, such as "nginx/1.22.1"
	addr   string
	errLog string // where it logs each request it moved to the next replica
}

func newFleet(ps *procs) *fleet {
	return &fleet{ps: ps, direct: &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true},
	}}
}

// startReplica starts the replica m with SESSION_KEYS=keys, on m.addr or,
// the first time, on a port the system picks, and waits until it is
// healthy with that ring.
func (f *fleet) startReplica(ctx context.Context, m *member, keys string) error {
	addr := m.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	p, got, err := f.ps.start(ctx, spec{
		name: m.name,
		path: exe,
		env: childEnv(envRole+"=replica", envName+"="+m.name, envAddr+"="+addr,
			envStats+"="+m.statsFile(), keysEnv+"="+keys),
		ready: true,
		stop:  syscall.SIGTERM,
	})
	if err != nil {
		return err
	}
	m.p, m.addr, m.keys = p, got, keys
	want, err := ringIDs(keys)
	if err != nil {
		return err
	}
	return f.waitHealthy(ctx, "http://"+m.addr+"/healthz", p, func(body []byte) error {
		var h replica.Health
		if err := json.Unmarshal(body, &h); err != nil {
			return err
		}
		if !slices.Equal(h.Ring, want) {
			return fmt.Errorf("%s reports ring %v, want %v", m.name, h.Ring, want)
		}
		return nil
	})
}

// restart stops m's process gracefully, starts a new one with keys and
// waits until it is healthy. It returns how long m was away.
func (f *fleet) restart(ctx context.Context, m *member, keys string) (time.Duration, error) {
	start := time.Now()
	if err := f.ps.stop(m.p); err != nil {
		return 0, err
	}
	if err := f.exited(m); err != nil {
		return 0, err
	}
	err := f.startReplica(ctx, m, keys)
	return time.Since(start), err
}

// waitHealthy polls url until it answers 200 with a body that check
// accepts, p exits, or startTimeout passes.
func (f *fleet) waitHealthy(ctx context.Context, url string, p *process, check func([]byte) error) error {
	deadline := time.Now().Add(startTimeout)
	var last error
	for {
		body, err := f.get(ctx, url)
		if err == nil {
			if err = check(body); err == nil {
				return nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return fmt.Errorf("%s exited while starting%s", p.name, p.tail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not healthy after %v: %v%s", p.name, startTimeout, last, p.tail())
		}
	}
}

// stats returns the session statistics of m's current process.
func (f *fleet) stats(ctx context.Context, m *member) (cookiesession.Stats, error) {
	var st cookiesession.Stats
	body, err := f.get(ctx, "http://"+m.addr+"/debug/sessions")
	if err != nil {
		return st, err
	}
	err = json.Unmarshal(body, &st)
	return st, err
}

func (f *fleet) get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.direct.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return b.Bytes(), nil
}

// retries returns how many requests the balancer has so far moved from a
// replica that failed them to the next: the lines of its error log that
// mention an upstream.
func (f *fleet) retries() int {
	b, err := os.ReadFile(f.lb.errLog)
	if err != nil {
		return 0
	}
	n := 0
	for line := range bytes.Lines(b) {
		if bytes.Contains(line, []byte("upstream")) {
			n++
		}
	}
	return n
}

// ringIDs returns the key IDs of the ring keys, primary first.
func ringIDs(keys string) ([]string, error) {
	ring, err := cookiesession.ParseKeyRing(keys)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, k := range ring.Stats() {
		ids = append(ids, k.ID)
	}
	return ids, nil
}
