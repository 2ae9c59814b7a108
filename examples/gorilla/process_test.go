package gorilla_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// TestProgramsKeepUsersSignedIn builds cmd/before and cmd/after each on
// its own, as a deployment does: after links no gorilla/sessions, and so
// registers nothing with gob that gorilla registers. It signs in on
// before, stops it, starts after with the same gorilla keys, and finds
// the user signed in, with the visit count and the waiting flash, and the
// gorilla cookie gone from the jar.
func TestProgramsKeepUsersSignedIn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two programs")
	}
	dir := t.TempDir()
	beforeBin, afterBin := build(t, dir, "before"), build(t, dir, "after")
	if !links(t, beforeBin, "github.com/gorilla/sessions") || links(t, afterBin, "github.com/gorilla/sessions") {
		t.Fatal("want gorilla/sessions linked into before, not into after")
	}
	certFile, keyFile, roots := selfSigned(t, dir)
	hashKey, blockKey := keys()
	env := []string{
		"GORILLA_HASH_KEY=" + base64.StdEncoding.EncodeToString(hashKey),
		"GORILLA_BLOCK_KEY=" + base64.StdEncoding.EncodeToString(blockKey),
	}
	tlsArgs := []string{"-addr", "127.0.0.1:0", "-cert", certFile, "-key", keyFile}

	d := &deployment{}
	p := start(t, beforeBin, env, tlsArgs...)
	d.browse(t, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}, p.url)
	d.home(t, "", "1", "")
	d.home(t, "", "2", "")
	d.do(t, "/login", url.Values{"name": {"alice"}}, http.StatusSeeOther)
	if got := d.cookies(); !slices.Equal(got, []string{"session"}) {
		t.Fatalf("on gorilla/sessions: got cookies %q, want [session]", got)
	}
	p.stop(t)

	env = append(env, "SESSION_KEYS="+base64.StdEncoding.EncodeToString(cookiesession.GenerateKey()))
	until := time.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)
	p = start(t, afterBin, env, append(tlsArgs, "-until", until)...)
	d.at(t, p.url)
	d.home(t, "alice", "3", "Welcome, alice")
	if got := d.cookies(); !slices.Equal(got, []string{"__Host-session"}) {
		t.Errorf("on cookiesession: got cookies %q, want [__Host-session]", got)
	}
	d.home(t, "alice", "4", "")
	p.stop(t)
}

// build builds cmd/name alone into dir, and returns the program's path.
func build(t *testing.T, dir, name string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	if b, err := exec.Command("go", "build", "-o", out, "./cmd/"+name).CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, b)
	}
	return out
}

// links reports whether the program at path links module.
func links(t *testing.T, path, module string) bool {
	t.Helper()
	b, err := exec.Command("go", "version", "-m", path).Output()
	if err != nil {
		t.Fatalf("go version -m %s: %v", path, err)
	}
	return bytes.Contains(b, []byte("\t"+module+"\t"))
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir, and
// returns their files and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for file, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "PRIVATE KEY", Bytes: pkcs8}} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

// process is a program that the test runs, and its log.
type process struct {
	cmd  *exec.Cmd
	log  *logWriter
	url  string
	done chan error
}

// logWriter keeps what a program logs, and sends the URL it serves on.
type logWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	serving chan string
}

var servingOn = regexp.MustCompile(`serving on (https?://\S+)`)

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := servingOn.FindSubmatch(w.buf.Bytes()); m != nil && w.serving != nil {
		w.serving <- string(m[1])
		w.serving = nil
	}
	return len(p), nil
}

func (w *logWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// start runs the program at path with env added to the environment, and
// waits until it serves.
func start(t *testing.T, path string, env []string, args ...string) *process {
	t.Helper()
	serving := make(chan string, 1)
	p := &process{cmd: exec.Command(path, args...), log: &logWriter{serving: serving}, done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case p.url = <-serving:
		return p
	case err := <-p.done:
		t.Fatalf("%s exited before serving: %v\n%s", filepath.Base(path), err, p.log)
	case <-time.After(time.Minute):
		t.Fatalf("%s does not serve after a minute:\n%s", filepath.Base(path), p.log)
	}
	return nil
}

// stop interrupts the program, as a deploy stops it, and checks that it
// shut down cleanly.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil || !strings.Contains(p.log.String(), ": stopped") {
			t.Errorf("%s: got exit %v, want a clean shutdown:\n%s", p.cmd.Path, err, p.log)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s still runs 30 seconds after SIGINT:\n%s", p.cmd.Path, p.log)
	}
}
