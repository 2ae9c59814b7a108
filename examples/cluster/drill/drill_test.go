package drill_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession/examples/cluster/drill"
	"github.com/cookiesession/cookiesession/internal/testenv"
)

// The drill's replicas are this test binary, run again.
func TestMain(m *testing.M) {
	drill.MaybeChild()
	os.Exit(m.Run())
}

func nginx(t *testing.T) string {
	return testenv.Command(t, "nginx", "sudo apt-get install -y nginx-light", "/usr/sbin/nginx")
}

// run runs a drill and fails the test if it could not run or left a
// process behind.
func run(t *testing.T, cfg drill.Config) *drill.Result {
	t.Helper()
	var out strings.Builder
	cfg.Out = &out
	cfg.Logf = t.Logf
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := drill.Run(ctx, cfg)
	t.Logf("drill ran in %v:\n%s", time.Since(start).Round(time.Millisecond), out.String())
	if err != nil {
		t.Fatal(err)
	}
	checkNoneLeft(t, res.PIDs)
	return res
}

func TestStagedRotation(t *testing.T) {
	res := run(t, drill.Config{Nginx: nginx(t), Duration: 6 * time.Second})
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if got, want := len(res.Phases), 4; got != want {
		t.Fatalf("got %d phases, want %d", got, want)
	}
	for _, ph := range res.Phases {
		if ph.Failures != 0 || ph.LostWrites != 0 || ph.Logouts != 0 {
			t.Errorf("%s: got %d failures, %d lost writes, %d logouts; want none", ph.Name, ph.Failures, ph.LostWrites, ph.Logouts)
		}
		if ph.FewestPerClient < 2 {
			t.Errorf("%s: a client made %d requests, want at least 2", ph.Name, ph.FewestPerClient)
		}
	}
	for i, want := range []int{0, 0, res.Clients, res.Clients} {
		if got := res.Phases[i].OnNewKey; got != want {
			t.Errorf("%s: got %d cookies under the new key, want %d", res.Phases[i].Name, got, want)
		}
	}
	for _, rs := range res.Phases[3].Replicas {
		if len(rs.Ring) != 1 || rs.Ring[0] != res.NewKey || rs.UnknownKey != 0 {
			t.Errorf("after phase 3, %s has ring %v and met %d unknown-key cookies; want [%s] and none", rs.Name, rs.Ring, rs.UnknownKey, res.NewKey)
		}
	}
	// While the primaries differ, a cookie flips between keys; every such
	// open is re-sealed.
	var resealed uint64
	for _, rs := range res.Phases[2].Replicas {
		resealed += rs.Resealed
	}
	if resealed < uint64(res.Clients) {
		t.Errorf("phase 2: got %d re-sealed sessions, want at least one per client (%d)", resealed, res.Clients)
	}
}

func TestWrongRollout(t *testing.T) {
	res := run(t, drill.Config{Nginx: nginx(t), Duration: 3 * time.Second, Wrong: true})
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	wrong := res.Phases[len(res.Phases)-1]
	if wrong.Logouts == 0 || wrong.LoggedOut == 0 {
		t.Errorf("%s: got %d logouts of %d clients, want some", wrong.Name, wrong.Logouts, wrong.LoggedOut)
	}
	var unknown uint64
	for _, rs := range wrong.Replicas {
		unknown += rs.UnknownKey
	}
	if unknown == 0 {
		t.Errorf("%s: no replica met a cookie under a key it lacks; want r2 and r3 to", wrong.Name)
	}
}

// TestGoBalancer runs the staged rotation behind the Go stand-in for nginx.
func TestGoBalancer(t *testing.T) {
	res := run(t, drill.Config{Clients: 20, Duration: 3 * time.Second})
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Balancer, "httputil") {
		t.Errorf("got balancer %q, want the Go stand-in", res.Balancer)
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(2*time.Second, cancel)
	res, err := drill.Run(ctx, drill.Config{Clients: 5, Duration: time.Minute})
	if err == nil {
		t.Fatal("got no error from an interrupted drill, want one")
	}
	checkNoneLeft(t, res.PIDs)
}
