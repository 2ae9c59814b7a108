package drill

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	startTimeout = 20 * time.Second // for a child to listen, or become healthy
	stopTimeout  = 15 * time.Second // for a child to finish its requests and exit
)

// A spec says how to run a child.
type spec struct {
	name  string
	path  string
	args  []string
	env   []string       // the child's whole environment
	ready bool           // the child writes its address to file descriptor 3
	stop  syscall.Signal // asks the child to finish its work and exit
}

// A process is a child the drill started: a replica, the Go balancer or
// nginx. Its output goes to a log file in the drill's directory.
type process struct {
	spec
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited and been reaped
}

// procs records every process the drill starts, so that it can stop them
// all on any way out, and report their IDs.
type procs struct {
	dir  string
	logf func(format string, args ...any)

	mu   sync.Mutex
	live map[*process]bool
	pids []int
}

// start runs the child sp describes, its output appended to dir/NAME.log.
// If sp.ready, the child gets a pipe as file descriptor 3 and start returns
// the line it writes there (its address) once it has; a child that exits
// first is an error.
func (ps *procs) start(ctx context.Context, sp spec) (*process, string, error) {
	name := sp.name
	logPath := filepath.Join(ps.dir, name+".log")
	out, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, "", err
	}
	defer out.Close()
	cmd := exec.Command(sp.path, sp.args...)
	cmd.Env = sp.env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	var r, w *os.File
	if sp.ready {
		if r, w, err = os.Pipe(); err != nil {
			return nil, "", err
		}
		defer r.Close()
		cmd.ExtraFiles = []*os.File{w}
	}
	err = cmd.Start()
	if w != nil {
		w.Close() // the child has its copy; EOF on r means it exited
	}
	if err != nil {
		return nil, "", fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{spec: sp, cmd: cmd, log: logPath, done: make(chan struct{})}
	ps.mu.Lock()
	ps.live[p] = true
	ps.pids = append(ps.pids, cmd.Process.Pid)
	ps.mu.Unlock()
	go func() { cmd.Wait(); close(p.done) }()
	if !sp.ready {
		return p, "", nil
	}
	addr, err := readReady(ctx, r)
	if err != nil {
		p.stop = syscall.SIGKILL
		ps.stop(p)
		return nil, "", fmt.Errorf("%s did not start: %w%s", name, err, p.tail())
	}
	return p, addr, nil
}

// readReady reads the line a child writes when it listens.
func readReady(ctx context.Context, r *os.File) (string, error) {
	r.SetReadDeadline(time.Now().Add(startTimeout))
	defer context.AfterFunc(ctx, func() { r.SetReadDeadline(time.Now()) })()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// stop sends p its stop signal, waits up to stopTimeout for it to exit,
// then kills what is left of its process group. It returns an error if p
// had to be killed, failed, or had already exited on its own.
func (ps *procs) stop(p *process) error {
	sig := p.spec.stop
	ps.mu.Lock()
	delete(ps.live, p)
	ps.mu.Unlock()
	start := time.Now()
	defer func() {
		ps.logf("%s (pid %d) stopped in %v", p.name, p.cmd.Process.Pid, time.Since(start).Round(time.Millisecond))
	}()
	var err error
	select {
	case <-p.done:
		err = fmt.Errorf("%s had exited (%v)%s", p.name, p.cmd.ProcessState, p.tail())
	default:
		if p.cmd.Process.Signal(sig) != nil {
			p.cmd.Process.Kill()
		}
		select {
		case <-p.done:
			if !p.cmd.ProcessState.Success() && sig != syscall.SIGKILL {
				err = fmt.Errorf("%s exited with %v%s", p.name, p.cmd.ProcessState, p.tail())
			}
		case <-time.After(stopTimeout):
			err = fmt.Errorf("%s did not exit within %v of %v; killed it", p.name, stopTimeout, sig)
		}
	}
	killGroup(p.cmd.Process.Pid)
	<-p.done
	return err
}

// stopAll stops every process still running, all at once, and returns
// their errors.
func (ps *procs) stopAll() error {
	ps.mu.Lock()
	var left []*process
	for p := range ps.live {
		left = append(left, p)
	}
	ps.mu.Unlock()
	errs := make([]error, len(left))
	var wg sync.WaitGroup
	for i, p := range left {
		wg.Go(func() { errs[i] = ps.stop(p) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// tail returns the end of p's log, for error messages.
func (p *process) tail() string {
	b, err := os.ReadFile(p.log)
	if err != nil || len(b) == 0 {
		return ""
	}
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return "; its log ends:\n" + string(bytes.TrimSpace(b))
}

// childEnv returns the drill's environment without SESSION_KEYS or any
// drill setting, plus vars: a child gets exactly the keys it is given.
// A program built with -race sleeps a second as it exits, unless GORACE
// says otherwise; children built so exit at once.
func childEnv(vars ...string) []string {
	env := []string{"GORACE=atexit_sleep_ms=0 " + os.Getenv("GORACE")}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != keysEnv && name != "GORACE" && !strings.HasPrefix(name, envPrefix) {
			env = append(env, kv)
		}
	}
	return append(env, vars...)
}
