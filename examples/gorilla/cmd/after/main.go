// Command after serves package after's application, on cookiesession:
// its key ring from SESSION_KEYS, and the keys of the gorilla/sessions
// store that before ran on, to read its cookies until -until:
//
//	export SESSION_KEYS=$(head -c 32 /dev/urandom | base64)
//	export GORILLA_HASH_KEY=... GORILLA_BLOCK_KEY=... # before's
//	after -addr 127.0.0.1:8080 -cert cert.pem -key key.pem -until 2030-01-31T00:00:00Z
//
// It links no gorilla/sessions and registers with gob only its own type,
// site.User: that is all migration needs.
package main

import (
	"flag"
	"log"
	"time"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/gorilla/after"
	"github.com/cookiesession/cookiesession/examples/gorilla/site"
)

func main() {
	listener := site.ListenerFlags()
	until := flag.String("until", "", "when migration ends, in RFC 3339: the switch, plus the old store's MaxAge (30 days by default)")
	flag.Parse()
	end, err := time.Parse(time.RFC3339, *until)
	if err != nil {
		log.Fatal("after: -until: ", err)
	}
	keys, err := cookiesession.KeyRingFromEnv("SESSION_KEYS")
	if err != nil {
		log.Fatal("after: ", err)
	}
	hashKey, blockKey, err := site.GorillaKeys()
	if err != nil {
		log.Fatal("after: ", err)
	}
	app, err := after.New(keys, hashKey, blockKey, end)
	if err != nil {
		log.Fatal("after: ", err)
	}
	if err := listener.Serve("after", app); err != nil {
		log.Fatal("after: ", err)
	}
}
