// Command cluster proves that replicas sharing nothing but SESSION_KEYS
// serve each other's sessions, and that a staged key rotation rolled across
// them under load fails no request and logs nobody out.
//
//	go run ./examples/cluster
//
// It starts three replicas of a small JSON API (package replica) as
// separate processes on loopback, each given its key ring through its
// environment only, and nginx in front of them doing round robin, with the
// configuration in drill/nginx.conf. Clients, each with its own cookie jar,
// log in and then keep reading and incrementing a counter kept in their
// session, each knowing the value it must have. While they run, the drill
// rotates the key ring in three phases (the new key added opening only,
// then made primary, then the old key dropped), restarting one replica at a
// time with the new SESSION_KEYS and waiting for it to be healthy before
// the next. A table per phase counts requests, failures, lost writes and
// logouts, and each replica's opens per key.
//
// With -wrong it shows why the first phase exists: the new key is made
// primary on one replica before the others have it, and clients are logged
// out.
//
// nginx is looked up on PATH and in /usr/sbin (Debian: apt-get install
// nginx-light). Without it, a round-robin proxy built on
// net/http/httputil stands in, and the drill says so. Every process the
// drill starts is stopped when it ends, also on failure and on Ctrl-C;
// ports are picked free, on 127.0.0.1 only.
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cookiesession/cookiesession/examples/cluster/drill"
)

func main() {
	drill.MaybeChild()
	clients := flag.Int("clients", 50, "clients running at once, each with its own cookie jar")
	duration := flag.Duration("duration", 20*time.Second, "about how long the load runs")
	wrong := flag.Bool("wrong", false, "make the new key primary on one replica before the others have it")
	goProxy := flag.Bool("goproxy", false, "balance with the Go round-robin proxy even if nginx is installed")
	verbose := flag.Bool("v", false, "log each step")
	keep := flag.Bool("keep", false, "keep the processes' logs and nginx.conf, and say where")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("cluster: ")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := drill.Config{Nginx: drill.FindNginx(), Clients: *clients, Duration: *duration, Wrong: *wrong, Out: os.Stdout}
	if *goProxy {
		cfg.Nginx = ""
	} else if cfg.Nginx == "" {
		log.Print("nginx not found on PATH or in /usr/sbin: using a Go round-robin proxy (net/http/httputil) instead; for nginx: sudo apt-get install -y nginx-light")
	}
	if *verbose || *keep {
		cfg.Logf = log.Printf
	}
	cfg.Keep = *keep
	res, err := drill.Run(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			err = errors.New("interrupted; every process the drill started is stopped")
		}
		log.Print(err)
		os.Exit(1)
	}
	if res.Err() != nil {
		os.Exit(1)
	}
}
