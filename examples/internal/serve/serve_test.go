package serve

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

func TestKeys(t *testing.T) {
	dev := cookiesession.InsecureDevelopmentKeyRing().PrimaryID()
	for _, tc := range []struct {
		name, env string
		wantDev   bool
		wantErr   bool
	}{
		{"unset: the development key", "", true, false},
		{"set: own key", base64.StdEncoding.EncodeToString(cookiesession.GenerateKey()), false, false},
		{"set to the development key: refused", "mIN6cmvhRiRqYnK49OWDOLlAMGG8PKv-56jr70fxlXs", false, true}, // published development key: do not use
		{"set but invalid: refused", "not a key", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(KeysVar, tc.env)
			keys, err := Keys("test")
			if (err != nil) != tc.wantErr || (err == nil && (keys.PrimaryID() == dev) != tc.wantDev) {
				t.Errorf("got %v, %v; want error %v, development key %v", keys, err, tc.wantErr, tc.wantDev)
			}
		})
	}
}

// TestDevelopmentKeyOnLoopbackOnly checks the address actually bound: the
// development key is served on loopback only, whatever name was given;
// other keys anywhere.
func TestDevelopmentKeyOnLoopbackOnly(t *testing.T) {
	dev := cookiesession.InsecureDevelopmentKeyRing()
	own, err := cookiesession.NewKeyRing(cookiesession.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr string
		keys *cookiesession.KeyRing
		ok   bool
	}{
		{"127.0.0.1:0", dev, true},
		{"127.0.0.2:0", dev, true},
		{"localhost:0", dev, true},
		{"0.0.0.0:0", dev, false}, // every interface
		{":0", dev, false},
		{"0.0.0.0:0", own, true},
	} {
		ln, err := net.Listen("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		err = checkListener(tc.keys, ln)
		ln.Close()
		if (err == nil) != tc.ok {
			t.Errorf("%s with key %s: got %v, want ok=%v", tc.addr, tc.keys.PrimaryID(), err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), KeysVar) {
			t.Errorf("%s: the error does not say how to fix it: %v", tc.addr, err)
		}
	}
}

func TestRunRefusesDevelopmentKeyOffLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Run returns at once when it serves
	if err := Run(ctx, "test", ":0", cookiesession.InsecureDevelopmentKeyRing(), http.NotFoundHandler()); err == nil {
		t.Errorf("Run on every interface with the development key: got nil, want an error")
	}
	if err := Run(ctx, "test", "127.0.0.1:0", cookiesession.InsecureDevelopmentKeyRing(), http.NotFoundHandler()); err != nil {
		t.Errorf("Run on loopback with the development key: got %v, want nil", err)
	}
}

func TestServerSettings(t *testing.T) {
	srv := Server(http.NotFoundHandler())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("server timeouts not all set: %+v", srv)
	}
	if srv.MaxHeaderBytes < 2*cookiesession.MaxCookieSize {
		t.Errorf("MaxHeaderBytes %d leaves no room for a full session cookie or token", srv.MaxHeaderBytes)
	}
}

// TestGracefulFinishesRequests checks that a request in progress when the
// shutdown begins is answered, and that new connections are refused.
func TestGracefulFinishesRequests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Graceful(ctx, ln, Server(h), 10*time.Second) }()

	answered := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			answered <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answered <- string(b)
	}()
	<-started
	cancel()
	for { // until the listener is closed
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(time.Millisecond)
	}
	close(release)
	if got := <-answered; got != "done" {
		t.Errorf("the request in progress: got %q, want done", got)
	}
	if err := <-served; err != nil {
		t.Errorf("Graceful: got %v, want nil", err)
	}
}
