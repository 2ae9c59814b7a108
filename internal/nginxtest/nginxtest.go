// Package nginxtest runs a real nginx in front of a test's server, with
// nginx's default limits unless the test asks for others, so that a test
// sees what a deployment behind nginx sees.
//
//	url := nginxtest.Start(t, backend.URL, "")
//
// nginx runs in the foreground in a temporary directory of the test's,
// listening on 127.0.0.1 on a port it is given, and stops when the test
// ends. A machine without nginx skips or fails the test as
// [testenv.Command] does.
package nginxtest

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession/internal/testenv"
)

// Install is the command that installs nginx on Debian.
const Install = "sudo apt-get install -y nginx-light"

// conf is nginx's configuration: one server that proxies every request to
// the upstream. Nothing else is set, so every limit is nginx's default;
// %[3]s adds the test's directives to the location.
const conf = `worker_processes 1;
pid nginx.pid;
error_log nginx-error.log error;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path tmp/body;
	proxy_temp_path tmp/proxy;
	fastcgi_temp_path tmp/fastcgi;
	uwsgi_temp_path tmp/uwsgi;
	scgi_temp_path tmp/scgi;
	server {
		listen %[1]s;
		location / {
			proxy_pass %[2]s;
			%[3]s
		}
	}
}
`

// Start runs nginx in front of upstream, an http:// URL, with directives
// (such as "proxy_buffer_size 16k;") added to its one location, and
// returns nginx's URL. It stops nginx when the test ends, and fails the
// test if nginx does not start.
func Start(tb testing.TB, upstream, directives string) string {
	tb.Helper()
	path := testenv.Command(tb, "nginx", Install, "/usr/sbin/nginx")
	if u, err := url.Parse(upstream); err != nil || u.Scheme != "http" {
		tb.Fatalf("nginxtest: upstream %q is not an http:// URL", upstream)
	}
	dir := tb.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		tb.Fatal(err)
	}
	var lastErr error
	for range 3 { // another process may take the free port first
		addr, err := freeAddr()
		if err != nil {
			tb.Fatal(err)
		}
		file := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(file, fmt.Appendf(nil, conf, addr, upstream, directives), 0o600); err != nil {
			tb.Fatal(err)
		}
		errLog := filepath.Join(dir, "nginx-error.log")
		cmd := exec.Command(path, "-p", dir, "-c", file, "-e", errLog, "-g", "daemon off;")
		cmd.WaitDelay = 5 * time.Second
		if err := cmd.Start(); err != nil {
			tb.Fatalf("nginxtest: %v", err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// SIGTERM makes the master stop its workers and exit; killing it
		// would leave them running.
		stop := func() {
			cmd.Process.Signal(syscall.SIGTERM)
			<-done
		}
		if lastErr = waitListening(addr, done); lastErr == nil {
			tb.Cleanup(stop)
			return "http://" + addr
		}
		stop()
		log, _ := os.ReadFile(errLog)
		lastErr = fmt.Errorf("%w: %s", lastErr, log)
	}
	tb.Fatalf("nginxtest: nginx did not start: %v", lastErr)
	return ""
}

// Version returns what "nginx -v" prints, such as "nginx/1.22.1".
func Version(tb testing.TB) string {
	tb.Helper()
	out, err := exec.Command(testenv.Command(tb, "nginx", Install, "/usr/sbin/nginx"), "-v").CombinedOutput()
	if err != nil {
		tb.Fatalf("nginx -v: %v: %s", err, out)
	}
	_, v, _ := strings.Cut(strings.TrimSpace(string(out)), "version: ")
	return v
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitListening waits until addr answers HTTP, or nginx exits, or ten
// seconds pass.
func waitListening(addr string, exited <-chan error) error {
	deadline := time.Now().Add(10 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("nginx exited: %v", err)
		default:
		}
		if resp, err := client.Get("http://" + addr + "/"); err == nil {
			resp.Body.Close()
			if resp.Header.Get("Server") != "" {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("nginx not answering on %s after 10s", addr)
}
