package drill

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is what a drill measured.
type Result struct {
	Balancer string // "nginx/1.22.1", say
	OldKey   string // the ID of the key the replicas start with
	NewKey   string // the ID of the key rotated in
	Clients  int
	Wrong    bool
	Phases   []Phase
	PIDs     []int // every process the drill started, each the leader of its process group
}

// Phase holds one phase's figures. A request belongs to the phase in
// which it started.
type Phase struct {
	Name     string
	Keys     string // the ring the phase restarts replicas with, such as "old,new"
	Restarts []Restart

	Requests   uint64
	Failures   uint64 // transport errors, and statuses other than 200 and a logout's 401
	LostWrites uint64 // answers whose counter was not the value the client expected
	Logouts    uint64 // a 401, or a session replaced, for a client that was logged in
	LoggedOut  int    // clients logged out at least once
	Retried    int    // requests the balancer moved from a failing replica to the next

	FewestPerClient int // the fewest requests any one client made
	// OnNewKey counts the clients whose last request in the phase was
	// opened by the new key: their cookie was sealed under it.
	OnNewKey int

	Replicas []ReplicaStats
	Samples  []string // the first failures, lost writes and logouts, described
}

// Restart is one replica's restart, and how long it took from the stop
// signal to the new process answering its health check with the new ring.
type Restart struct {
	Replica string
	Took    time.Duration
}

// ReplicaStats is one replica's figures for a phase, summed over the
// processes it ran in that phase, from their Manager.Stats.
type ReplicaStats struct {
	Name       string
	Keys       string            // its ring at the end of the phase, such as "new,old"
	Ring       []string          // the same, by key ID
	Served     uint64            // the phase's requests it answered
	Opens      map[string]uint64 // cookies opened, by key ID
	Resealed   uint64            // sessions re-sealed under its primary key
	UnknownKey uint64            // cookies sealed under a key not in its ring
}

// Err reports whether the fleet passed. The staged rotation passes with no
// failed request, lost write or logout in any phase, every client making
// requests in every phase, every client's cookie sealed under the new key
// from phase 2 on, and, at the end, no replica holding the old key or
// meeting a cookie it cannot open. The wrong rollout passes when it logs
// clients out, and fails nothing else.
func (r *Result) Err() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, ph := range r.Phases {
		if ph.Failures > 0 || ph.LostWrites > 0 {
			fail("%s: %d failed requests and %d lost writes, want none", ph.Name, ph.Failures, ph.LostWrites)
		}
		if ph.FewestPerClient < 1 {
			fail("%s: a client made no request", ph.Name)
		}
		if !r.Wrong && ph.Logouts > 0 {
			fail("%s: %d logouts, want none", ph.Name, ph.Logouts)
		}
	}
	if len(r.Phases) != len(plan(r.Wrong)) {
		fail("%d phases ran of %d", len(r.Phases), len(plan(r.Wrong)))
		return errors.Join(errs...)
	}
	last := r.Phases[len(r.Phases)-1]
	if r.Wrong {
		if last.Logouts == 0 {
			fail("%s: no logouts; want some", last.Name)
		}
		return errors.Join(errs...)
	}
	for _, ph := range r.Phases[2:] {
		if ph.OnNewKey != r.Clients {
			fail("%s: %d of %d cookies sealed under the new key, want all", ph.Name, ph.OnNewKey, r.Clients)
		}
	}
	for _, rs := range last.Replicas {
		if slices.Contains(rs.Ring, r.OldKey) {
			fail("%s: %s still has the old key", last.Name, rs.Name)
		}
		if rs.UnknownKey > 0 {
			fail("%s: %s met %d cookies under a key it does not have", last.Name, rs.Name, rs.UnknownKey)
		}
	}
	return errors.Join(errs...)
}

// writePhase writes ph's tables to w.
func writePhase(w io.Writer, r *Result, ph *Phase) {
	fmt.Fprintf(w, "\n%s\n", ph.Name)
	if len(ph.Restarts) > 0 {
		var rs []string
		for _, x := range ph.Restarts {
			rs = append(rs, fmt.Sprintf("%s in %v", x.Replica, x.Took.Round(time.Millisecond)))
		}
		fmt.Fprintf(w, "  restarted one at a time with SESSION_KEYS=%s: %s\n", ph.Keys, strings.Join(rs, ", "))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  requests\tfailures\tlost writes\tlogouts\tretried\tcookies under new key\n")
	fmt.Fprintf(tw, "  %d\t%d\t%d\t%d\t%d\t%d of %d\n",
		ph.Requests, ph.Failures, ph.LostWrites, ph.Logouts, ph.Retried, ph.OnNewKey, r.Clients)
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintf(tw, "  replica\tSESSION_KEYS\tserved\topens old\topens new\tresealed\tunknown key\n")
	for _, rs := range ph.Replicas {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%d\t%d\n", rs.Name, rs.Keys, rs.Served,
			rs.Opens[r.OldKey], rs.Opens[r.NewKey], rs.Resealed, rs.UnknownKey)
	}
	tw.Flush()
	for _, s := range ph.Samples {
		fmt.Fprintf(w, "  %s\n", s)
	}
}

// writeVerdict writes, as figures, whether the fleet passed.
func writeVerdict(w io.Writer, r *Result) {
	var requests, failures, lost, logouts uint64
	for _, ph := range r.Phases {
		requests += ph.Requests
		failures += ph.Failures
		lost += ph.LostWrites
		logouts += ph.Logouts
	}
	fmt.Fprintf(w, "\n%d requests: %d failed, %d lost writes, %d logouts.\n", requests, failures, lost, logouts)
	if err := r.Err(); err != nil {
		fmt.Fprintf(w, "FAIL\n%v\n", err)
		return
	}
	last := r.Phases[len(r.Phases)-1]
	if r.Wrong {
		var unknown uint64
		for _, rs := range last.Replicas {
			unknown += rs.UnknownKey
		}
		fmt.Fprintf(w, "As expected, the wrong rollout logged out %d of %d clients, %d times in all: r2 and r3\n"+
			"met %d cookies that r1 had sealed under a key they do not have. Adding the new key\n"+
			"everywhere first, opening only (phase 1 of the staged rotation), prevents this.\n",
			last.LoggedOut, r.Clients, last.Logouts, unknown)
		return
	}
	fmt.Fprintf(w, "PASS: after phase 2, %d of %d cookies were sealed under the new key %s;\n"+
		"after phase 3, no replica has the old key %s and none met a cookie it could not open.\n",
		r.Phases[2].OnNewKey, r.Clients, r.NewKey, r.OldKey)
}
