// Command before serves package before's application, on
// gorilla/sessions, with the store's keys from the environment:
//
//	export GORILLA_HASH_KEY=$(head -c 64 /dev/urandom | base64)
//	export GORILLA_BLOCK_KEY=$(head -c 32 /dev/urandom | base64)
//	before -addr 127.0.0.1:8080 -cert cert.pem -key key.pem
//
// Its cookies are Secure: serve it over TLS (-cert and -key), or on
// localhost, which browsers treat as secure.
package main

import (
	"flag"
	"log"

	"github.com/cookiesession/cookiesession/examples/gorilla/before"
	"github.com/cookiesession/cookiesession/examples/gorilla/site"
)

func main() {
	listener := site.ListenerFlags()
	flag.Parse()
	hashKey, blockKey, err := site.GorillaKeys()
	if err != nil {
		log.Fatal("before: ", err)
	}
	if err := listener.Serve("before", before.New(hashKey, blockKey)); err != nil {
		log.Fatal("before: ", err)
	}
}
