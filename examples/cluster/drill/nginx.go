package drill

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"text/template"
)

//go:embed nginx.conf
var nginxConf string

var nginxTemplate = template.Must(template.New("nginx.conf").Parse(nginxConf))

// FindNginx returns the path of nginx: on PATH, or in /usr/sbin, where
// Debian installs it outside most users' PATH. It returns "" if there is
// none.
func FindNginx() string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if fi, err := os.Stat("/usr/sbin/nginx"); err == nil && fi.Mode()&0o111 != 0 {
		return "/usr/sbin/nginx"
	}
	return ""
}

// startNginx runs nginx from path in front of upstreams, with the
// configuration in nginx.conf, in the drill's directory. nginx cannot say
// which port it got, so the drill picks a free one; should something take
// it first, the drill tries another.
func (f *fleet) startNginx(ctx context.Context, path string, upstreams []string) error {
	dir := f.ps.dir
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return err
	}
	conf := filepath.Join(dir, "nginx.conf")
	errLog := filepath.Join(dir, "nginx-error.log")
	var err error
	for range 3 {
		var listen string
		if listen, err = freeAddr(); err != nil {
			return err
		}
		if err = writeNginxConf(conf, listen, upstreams); err != nil {
			return err
		}
		var p *process
		p, _, err = f.ps.start(ctx, spec{
			name: "nginx",
			path: path,
			args: []string{"-p", dir, "-c", conf, "-e", errLog, "-g", "daemon off;"},
			env:  childEnv(),
			stop: syscall.SIGQUIT, // graceful: finish the requests in progress
		})
		if err != nil {
			return err
		}
		err = f.waitHealthy(ctx, "http://"+listen+"/healthz", p, func([]byte) error { return nil })
		if err == nil {
			f.lb = &balancer{name: nginxVersion(path), addr: listen, errLog: errLog}
			return nil
		}
		f.ps.stop(p)
		if ctx.Err() != nil {
			return err
		}
	}
	return err
}

func writeNginxConf(path, listen string, upstreams []string) error {
	var b bytes.Buffer
	err := nginxTemplate.Execute(&b, struct {
		Listen    string
		Upstreams []string
	}{listen, upstreams})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// nginxVersion returns what "nginx -v" says, such as "nginx/1.22.1".
func nginxVersion(path string) string {
	out, err := exec.Command(path, "-v").CombinedOutput()
	if err != nil {
		return "nginx"
	}
	_, v, ok := strings.Cut(strings.TrimSpace(string(out)), "version: ")
	if !ok {
		return "nginx"
	}
	return v
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
