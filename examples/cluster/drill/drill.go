// Package drill runs the cluster example's rotation drill: three replicas
// of a session-backed JSON API as separate processes, nginx in front of
// them, clients under load, and the session key ring rotated across the
// replicas one restart at a time while the load runs. It reports, per
// phase, every request that failed, every write that was lost and every
// client that was logged out.
//
// The program that calls [Run] must call [MaybeChild] first in main (or
// TestMain): the replicas are that same program, run again.
package drill

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cookiesession/cookiesession"
)

// Config sets up a drill.
type Config struct {
	// Nginx is the path of the nginx program to balance with; see
	// FindNginx. If empty, a round-robin reverse proxy in Go stands in.
	Nginx string

	// Clients is how many clients run at once. Default 50.
	Clients int

	// Duration is about how long the drill runs, not counting replica
	// restarts and the wait for every client's next requests at the end
	// of each phase. Default 20 seconds.
	Duration time.Duration

	// Wrong runs the wrong rollout instead of the staged rotation: the new
	// key is made primary on one replica before the others have it.
	Wrong bool

	// Out, if set, receives a table for each phase as it ends, and the
	// verdict.
	Out io.Writer

	// Logf, if set, receives a line for each step of the drill.
	Logf func(format string, args ...any)

	// Keep leaves the drill's directory in place: each process's log,
	// the balancer's error log and nginx.conf. Logf says where it is.
	Keep bool
}

// Replicas is how many replicas the drill runs.
const Replicas = 3

const (
	settleRounds  = 2 // requests each client makes at the end of a phase
	settleTimeout = 15 * time.Second
)

// A stage is one phase of the plan: the key ring that some replicas are
// restarted with, as a list of "old" and "new", and which replicas.
type stage struct {
	name    string
	keys    string
	restart []int
}

func plan(wrong bool) []stage {
	start := stage{name: "start: every replica on the old key", keys: "old"}
	if wrong {
		return []stage{start, {name: "wrong: the new key made primary on r1 alone", keys: "new,old", restart: []int{0}}}
	}
	all := []int{0, 1, 2}
	return []stage{
		start,
		{name: "phase 1: the new key added, opening only", keys: "old,new", restart: all},
		{name: "phase 2: the new key made primary", keys: "new,old", restart: all},
		{name: "phase 3: the old key dropped", keys: "new", restart: all},
	}
}

type drill struct {
	cfg      Config
	res      *Result
	f        *fleet
	old, new string // the secrets, base64
}

// Run runs the drill until its plan is done or ctx is cancelled. It stops
// every process it started before it returns, on every path. Its error
// reports a drill that could not run; whether the fleet passed is
// [Result.Err].
func Run(ctx context.Context, cfg Config) (res *Result, err error) {
	if os.Getenv(envRole) != "" {
		return nil, errors.New("drill: Run called in one of the drill's own children; call MaybeChild first in main")
	}
	if cfg.Clients == 0 {
		cfg.Clients = 50
	}
	if cfg.Duration == 0 {
		cfg.Duration = 20 * time.Second
	}
	if cfg.Clients < 1 || cfg.Clients > 1000 || cfg.Duration < time.Second || cfg.Duration > time.Hour {
		return nil, fmt.Errorf("drill: want 1 to 1000 clients and a duration from 1s to 1h, got %d and %v", cfg.Clients, cfg.Duration)
	}
	dir, err := os.MkdirTemp("", "cookiesession-cluster-")
	if err != nil {
		return nil, err
	}
	ps := &procs{dir: dir, live: map[*process]bool{}, logf: func(string, ...any) {}}
	if cfg.Logf != nil {
		ps.logf = cfg.Logf
	}
	res = &Result{Clients: cfg.Clients, Wrong: cfg.Wrong}
	defer func() {
		err = errors.Join(err, ps.stopAll())
		res.PIDs = ps.pids
		if cfg.Keep {
			ps.logf("logs and nginx.conf kept in %s", dir)
		} else {
			os.RemoveAll(dir)
		}
	}()
	d := &drill{cfg: cfg, res: res, f: newFleet(ps), old: newSecret(), new: newSecret()}
	return res, d.run(ctx)
}

func newSecret() string { return base64.StdEncoding.EncodeToString(cookiesession.GenerateKey()) }

func (d *drill) run(ctx context.Context) error {
	oldIDs, _ := ringIDs(d.old)
	newIDs, _ := ringIDs(d.new)
	d.res.OldKey, d.res.NewKey = oldIDs[0], newIDs[0]
	if err := d.startFleet(ctx); err != nil {
		return err
	}
	d.res.Balancer = d.f.lb.name
	d.printf("%d replicas behind %s at http://%s, %d clients; keys: old %s, new %s\n",
		Replicas, d.res.Balancer, d.f.lb.addr, d.cfg.Clients, d.res.OldKey, d.res.NewKey)

	stages := plan(d.cfg.Wrong)
	l := newLoad("http://"+d.f.lb.addr, d.cfg.Clients, len(stages))
	loadCtx, stopLoad := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { l.run(loadCtx); close(done) }()
	defer func() { stopLoad(); <-done; l.tr.CloseIdleConnections() }()

	dwell := d.cfg.Duration / time.Duration(len(stages))
	for i, st := range stages {
		l.phase.Store(int64(i))
		ph := Phase{Name: st.name, Keys: st.keys}
		retried := d.f.retries()
		if err := d.f.beginPhase(ctx); err != nil {
			return err
		}
		if err := d.runStage(ctx, st, dwell, &ph); err != nil {
			return err
		}
		behind, err := l.settle(ctx, settleRounds, settleTimeout)
		if err != nil {
			return err
		}
		if behind > 0 {
			d.logf("%d clients made no %d requests in %v at the end of %q", behind, settleRounds, settleTimeout, st.name)
		}
		if i == len(stages)-1 {
			stopLoad()
			<-done
			l.logout(ctx)
		}
		if err := d.record(ctx, l, i, retried, &ph); err != nil {
			return err
		}
		d.res.Phases = append(d.res.Phases, ph)
		if d.cfg.Out != nil {
			writePhase(d.cfg.Out, d.res, &ph)
		}
	}
	if d.cfg.Out != nil {
		writeVerdict(d.cfg.Out, d.res)
	}
	return nil
}

func (d *drill) startFleet(ctx context.Context) error {
	var upstreams []string
	for i := range Replicas {
		m := &member{name: fmt.Sprintf("r%d", i+1), dir: d.f.ps.dir}
		if err := d.f.startReplica(ctx, m, d.secrets("old")); err != nil {
			return err
		}
		d.logf("%s listening on %s", m.name, m.addr)
		d.f.replicas = append(d.f.replicas, m)
		upstreams = append(upstreams, m.addr)
	}
	if d.cfg.Nginx != "" {
		return d.f.startNginx(ctx, d.cfg.Nginx, upstreams)
	}
	return d.f.startGoBalancer(ctx, upstreams)
}

// runStage restarts the stage's replicas one at a time, each once the one
// before is healthy, and lets the load run for dwell in all.
func (d *drill) runStage(ctx context.Context, st stage, dwell time.Duration, ph *Phase) error {
	d.logf("%s", st.name)
	if len(st.restart) == 0 {
		return sleep(ctx, dwell)
	}
	for _, i := range st.restart {
		m := d.f.replicas[i]
		took, err := d.f.restart(ctx, m, d.secrets(st.keys))
		if err != nil {
			return err
		}
		ph.Restarts = append(ph.Restarts, Restart{Replica: m.name, Took: took})
		d.logf("%s restarted with SESSION_KEYS=%s, healthy after %v", m.name, st.keys, took.Round(time.Millisecond))
		if err := sleep(ctx, dwell/time.Duration(len(st.restart))); err != nil {
			return err
		}
	}
	return nil
}

// record fills in the figures of the phase that just ended.
func (d *drill) record(ctx context.Context, l *load, i, retried int, ph *Phase) error {
	t := l.tallies[i]
	ph.Requests = t.requests.Load()
	ph.Failures = t.failures.Load()
	ph.LostWrites = t.lostWrites.Load()
	ph.Logouts = t.logouts.Load()
	ph.LoggedOut = l.clientsLoggedOut(i)
	ph.Retried = d.f.retries() - retried
	ph.FewestPerClient = l.fewest(i)
	ph.OnNewKey = l.onKey(d.res.NewKey)
	t.mu.Lock()
	ph.Samples = t.samples
	t.mu.Unlock()
	for _, m := range d.f.replicas {
		fig, ring, err := d.f.endPhase(ctx, m)
		if err != nil {
			return fmt.Errorf("reading %s's statistics: %w", m.name, err)
		}
		rs := ReplicaStats{Name: m.name, Keys: d.label(m.keys), Ring: ring,
			Opens: fig.opens, Resealed: fig.resealed, UnknownKey: fig.unknownKey}
		if v, ok := t.served.Load(m.name); ok {
			rs.Served = v.(*atomic.Uint64).Load()
		}
		ph.Replicas = append(ph.Replicas, rs)
	}
	return nil
}

// secrets turns a list of "old" and "new" into SESSION_KEYS.
func (d *drill) secrets(list string) string {
	return strings.NewReplacer("old", d.old, "new", d.new).Replace(list)
}

// label turns SESSION_KEYS back into a list of "old" and "new".
func (d *drill) label(keys string) string {
	return strings.NewReplacer(d.old, "old", d.new, "new").Replace(keys)
}

func (d *drill) printf(format string, args ...any) {
	if d.cfg.Out != nil {
		fmt.Fprintf(d.cfg.Out, format, args...)
	}
}

func (d *drill) logf(format string, args ...any) { d.f.ps.logf(format, args...) }

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
