package main

import (
	"encoding/base64"
	"net"
	"testing"

	"github.com/cookiesession/cookiesession"
)

func TestLoadKeys(t *testing.T) {
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
			t.Setenv(keysVar, tc.env)
			keys, err := loadKeys()
			if (err != nil) != tc.wantErr || (err == nil && (keys.PrimaryID() == dev) != tc.wantDev) {
				t.Errorf("got %v, %v; want error %v, development key %v", keys, err, tc.wantErr, tc.wantDev)
			}
		})
	}
}

// TestCheckDevKeyListener checks that the development key is served on
// loopback addresses only, and other keys anywhere.
func TestCheckDevKeyListener(t *testing.T) {
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
		{"localhost:0", dev, true},
		{"0.0.0.0:0", dev, false}, // every interface
		{"0.0.0.0:0", own, true},
	} {
		ln, err := net.Listen("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		err = checkDevKeyListener(tc.keys, ln)
		ln.Close()
		if (err == nil) != tc.ok {
			t.Errorf("checkDevKeyListener(%s, %v): got %v, want ok=%v", tc.addr, tc.keys, err, tc.ok)
		}
	}
}

func TestServerSettings(t *testing.T) {
	srv, err := newServer(cookiesession.InsecureDevelopmentKeyRing())
	if err != nil {
		t.Fatal(err)
	}
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("server timeouts not all set: %+v", srv)
	}
	if srv.MaxHeaderBytes < 2*cookiesession.MaxCookieSize {
		t.Errorf("MaxHeaderBytes %d leaves no room for a full session cookie or token", srv.MaxHeaderBytes)
	}
}
