package apiapp_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cookiesession/cookiesession"
	"github.com/cookiesession/cookiesession/examples/api/apiapp"
)

// A client without cookies signs in with the token header empty, then
// sends back the token each answer hands it.
func ExampleNew() {
	keys, err := cookiesession.NewKeyRing(cookiesession.GenerateKey()) // KeyRingFromEnv in a real service
	if err != nil {
		log.Fatal(err)
	}
	h, err := apiapp.New(keys, cookiesession.Config{})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	token := ""
	call := func(method, path, body string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(apiapp.TokenHeader, token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		if v, ok := res.Header[apiapp.TokenHeader]; ok {
			token = v[0]
		}
		var answer struct {
			apiapp.Me
			Error string
		}
		json.NewDecoder(res.Body).Decode(&answer)
		fmt.Printf("%s %s: %d user=%q cart=%v error=%q; holding a token: %v\n",
			method, path, res.StatusCode, answer.User, answer.Cart, answer.Error, token != "")
	}
	call("POST", "/login", `{"user": "alice"}`)
	call("POST", "/cart/items", `{"sku": "A-1", "qty": 2}`)
	call("POST", "/logout", "")
	call("POST", "/cart/items", `{"sku": "A-1", "qty": 2}`)
	// Output:
	// POST /login: 200 user="alice" cart=[] error=""; holding a token: true
	// POST /cart/items: 200 user="alice" cart=[{A-1 2}] error=""; holding a token: true
	// POST /logout: 204 user="" cart=[] error=""; holding a token: false
	// POST /cart/items: 401 user="" cart=[] error="not signed in"; holding a token: false
}
