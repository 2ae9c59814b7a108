package drill

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cookiesession/cookiesession/examples/internal/serve"
)

// goBalancerName names the stand-in for nginx in reports.
const goBalancerName = "Go round robin (net/http/httputil.ReverseProxy)"

// startGoBalancer runs the current program as a round-robin reverse proxy
// in front of upstreams: the stand-in for nginx on a machine without it.
func (f *fleet) startGoBalancer(ctx context.Context, upstreams []string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	p, addr, err := f.ps.start(ctx, spec{
		name:  "balancer",
		path:  exe,
		env:   childEnv(envRole+"=balancer", envName+"=balancer", envUpstreams+"="+strings.Join(upstreams, ",")),
		ready: true,
		stop:  syscall.SIGTERM,
	})
	if err != nil {
		return err
	}
	f.lb = &balancer{name: goBalancerName, addr: addr, errLog: filepath.Join(f.ps.dir, "balancer.log")}
	return f.waitHealthy(ctx, "http://"+addr+"/healthz", p, func([]byte) error { return nil })
}

// runBalancer serves as the Go balancer until ctx is done. It behaves as
// nginx.conf configures nginx: round robin, the statistics routes not
// proxied, and a request that a replica fails before answering sent on to
// the next replica, POSTs included (see nginx.conf for why that is safe).
func runBalancer(ctx context.Context, upstreams []string) error {
	ln, err := listen(ctx, "127.0.0.1:0")
	if err != nil {
		return err
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "replicas" // nextUpstream picks one
		},
		Transport: &nextUpstream{upstreams: upstreams, base: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: time.Second}).DialContext,
			DisableKeepAlives:     true, // a new connection per request, as nginx's default
			ResponseHeaderTimeout: 10 * time.Second,
		}},
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/", http.NotFoundHandler())
	mux.Handle("/", proxy)
	if err := reportAddr(ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	return serve.Graceful(ctx, ln, serve.Server(mux), grace)
}

// nextUpstream sends each request to the next replica in turn and, if that
// one fails before answering, to the one after it, and so on: each replica
// once at most.
type nextUpstream struct {
	upstreams []string
	next      atomic.Uint64
	base      http.RoundTripper
}

const maxProxiedBody = 1 << 20

func (t *nextUpstream) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(req.Body, maxProxiedBody+1))
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(body) > maxProxiedBody {
			return nil, errors.New("request body over 1 MB")
		}
	}
	var err error
	n := uint64(len(t.upstreams))
	first := t.next.Add(1)
	for i := range n {
		host := t.upstreams[(first+i)%n]
		out := req.Clone(req.Context())
		out.URL.Host, out.Host = host, host
		if body != nil {
			out.Body = io.NopCloser(bytes.NewReader(body))
		}
		var resp *http.Response
		if resp, err = t.base.RoundTrip(out); err == nil || req.Context().Err() != nil {
			return resp, err
		}
		log.Printf("upstream %s failed: %v; trying the next", host, err)
	}
	return nil, err
}
