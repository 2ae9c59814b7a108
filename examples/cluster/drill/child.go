package drill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/cluster/replica"
	"github.com/cookiesession/cookiesession/examples/internal/serve"
)

// The drill starts its replicas, and the Go balancer when there is no
// nginx, by running the current program again with these variables set.
// A child gets all its settings from its environment, the key ring
// included, never from its command line, which any local user can read.
const (
	envPrefix    = "CLUSTER_"
	envRole      = envPrefix + "ROLE"      // "replica" or "balancer"
	envName      = envPrefix + "NAME"      // the replica's name
	envAddr      = envPrefix + "ADDR"      // where to listen; port 0 for any
	envUpstreams = envPrefix + "UPSTREAMS" // the balancer's replicas, comma-separated
	envStats     = envPrefix + "STATS"     // where a replica writes its statistics as it exits
	keysEnv      = "SESSION_KEYS"
)

const (
	grace      = 10 * time.Second // for a stopping child's requests in progress
	bindWithin = 5 * time.Second  // for a restarted replica's port to come free
)

// MaybeChild returns at once, unless [Run] started this process as one of
// its children: then it runs that child until it receives SIGTERM or an
// interrupt, and exits. Run starts its children by running the current
// program again (os.Executable), so a program that calls Run must call
// MaybeChild first thing in main, or in TestMain for a test.
func MaybeChild() {
	role := os.Getenv(envRole)
	if role == "" {
		return
	}
	log.SetPrefix(os.Getenv(envName) + " ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := runChild(ctx, role)
	stop()
	if err != nil {
		log.Printf("%s: %v", role, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runChild(ctx context.Context, role string) error {
	switch role {
	case "replica":
		return runReplica(ctx)
	case "balancer":
		return runBalancer(ctx, strings.Split(os.Getenv(envUpstreams), ","))
	}
	return fmt.Errorf("unknown role %q", role)
}

// runReplica serves the replica API with the key ring in SESSION_KEYS.
func runReplica(ctx context.Context) error {
	name := os.Getenv(envName)
	keys, err := cookiesession.KeyRingFromEnv(keysEnv)
	if err != nil {
		return err
	}
	srv, err := replica.New(name, keys)
	if err != nil {
		return err
	}
	ln, err := listen(ctx, os.Getenv(envAddr))
	if err != nil {
		return err
	}
	log.Printf("pid %d serving on %s with %v", os.Getpid(), ln.Addr(), keys)
	if err := reportAddr(ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	if err := serve.Graceful(ctx, ln, serve.Server(srv), grace); err != nil {
		return err
	}
	log.Printf("pid %d stopped", os.Getpid())
	return writeStats(os.Getenv(envStats), srv.Stats())
}

// writeStats writes a replica's final statistics to path, so the drill
// counts every request the replica served, up to its last.
func writeStats(path string, st cookiesession.Stats) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// listen listens on addr, a loopback address. A restarted replica takes
// over the port its predecessor just closed; should another socket hold
// it for a moment, listen tries again for a few seconds.
func listen(ctx context.Context, addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("refusing to listen on %s: the drill stays on loopback", addr)
	}
	deadline := time.Now().Add(bindWithin)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			return ln, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// reportAddr tells the drill, through file descriptor 3, that the child
// listens, and where.
func reportAddr(addr net.Addr) error {
	f := os.NewFile(3, "ready")
	if f == nil {
		return errors.New("no file descriptor 3 to report the address on: only the drill starts replicas")
	}
	_, err := fmt.Fprintln(f, addr)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
