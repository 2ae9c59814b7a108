// Package apiapp is the JSON API of the cookiesession API example: sign in,
// read who you are, fill a cart, sign out. Browsers keep the session in a
// cookie; clients without a cookie jar (mobile apps, command-line tools,
// other services) carry it in the Session-Token header. Command api (the
// parent directory) serves it; its tests and the browser tests in the e2e
// module serve it in-process, which is why it is a package of its own.
//
// There is no password database: POST /login signs in whoever names a
// valid user. A real service checks a credential there.
package apiapp

import (
	"cmp"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cookiesession/cookiesession"
)

// CookieName is the API's session cookie, unless New's Config names
// another. Each application on a host needs a name of its own: cookies
// ignore ports, so the API and the demo, both on 127.0.0.1, would otherwise
// read and overwrite each other's sessions.
const CookieName = "__Host-api"

// TokenHeader is the header through which clients without cookies carry
// their session, both ways.
const TokenHeader = "Session-Token"

const (
	maxUserLen = 32 // characters in a user name
	maxSKULen  = 32 // characters in a SKU
	maxQty     = 99 // of one item in the cart
)

// Me is the body of GET /me and of a successful POST /login: the signed-in
// user, the cart and when the session ends.
type Me struct {
	User      string    `json:"user"`
	Cart      []Item    `json:"cart"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Item is one line of the cart, and the body of POST /cart/items.
type Item struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

type app struct {
	sessions *cookiesession.Manager
}

// New returns the API's handler, whose sessions are sealed under keys with
// cfg. New sets cfg.Name to [CookieName] if it is empty, sets
// cfg.TokenHeader to [TokenHeader], and wraps cfg.OnInvalid so that the
// reason a session could not be opened is logged first; the zero Config is
// the one to serve.
//
// Unsafe requests from other origins are refused with 403 before the
// session is read, by net/http's CrossOriginProtection.
func New(keys *cookiesession.KeyRing, cfg cookiesession.Config) (http.Handler, error) {
	cfg.Name = cmp.Or(cfg.Name, CookieName)
	cfg.TokenHeader = TokenHeader
	cfg.OnInvalid = logInvalid(cfg.OnInvalid)
	m, err := cookiesession.New(keys, cfg)
	if err != nil {
		return nil, err
	}
	a := &app{sessions: m}
	mux := http.NewServeMux()
	route(mux, "POST /login", a.login)
	route(mux, "GET /me", a.signedIn(a.me))
	route(mux, "POST /cart/items", a.signedIn(a.addItem))
	route(mux, "POST /logout", a.logout)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
	})

	// Outside the session middleware, so that a refused request never
	// opens, renews or writes a session.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
	}))
	return securityHeaders(csrf.Handler(m.Handler(mux))), nil
}

// logInvalid returns an OnInvalid hook that logs why a session could not
// be opened (never its contents), then calls next if it is not nil.
func logInvalid(next func(*http.Request, error)) func(*http.Request, error) {
	return func(r *http.Request, err error) {
		via := "cookie"
		if _, ok := r.Header[TokenHeader]; ok {
			via = "token"
		}
		why := fmt.Sprintf("%T", err)
		var ie *cookiesession.InvalidError
		if errors.As(err, &ie) {
			why = string(ie.Reason)
			if ie.KeyID != "" {
				why += " (key " + ie.KeyID + ")"
			}
		}
		log.Printf("api: %s %s: %s not opened: %s", r.Method, r.URL.Path, via, why)
		if next != nil {
			next(r, err)
		}
	}
}

// login signs a user in: a new session ID (against session fixation),
// none of the previous session's values (on a shared client, another
// user's), the user and an empty cart.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		User string `json:"user"`
	}
	if !decodeJSON(w, r, &body) {
		return
	}
	if msg := checkUser(body.User); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	s := a.sessions.Get(r)
	s.Regenerate()
	s.Clear()
	if !a.set(w, s, "user", body.User) || !a.set(w, s, "cart", []Item{}) {
		return
	}
	writeJSON(w, http.StatusOK, Me{User: body.User, Cart: []Item{}, ExpiresAt: s.ExpiresAt().UTC()})
}

func (a *app) me(w http.ResponseWriter, r *http.Request, s *cookiesession.Session, me Me) {
	writeJSON(w, http.StatusOK, me)
}

// addItem adds qty of a SKU to the cart. A cart that would no longer fit
// in the session is refused with 413 and left as it was.
func (a *app) addItem(w http.ResponseWriter, r *http.Request, s *cookiesession.Session, me Me) {
	var item Item
	if !decodeJSON(w, r, &item) {
		return
	}
	if msg := checkItem(item); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	cart, ok := add(me.Cart, item)
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("at most %d of one item", maxQty))
		return
	}
	if !a.set(w, s, "cart", cart) {
		return
	}
	me.Cart = cart
	writeJSON(w, http.StatusOK, me)
}

// add returns cart with item added to the line of its SKU, or a new line;
// ok is false if the line would hold more than maxQty.
func add(cart []Item, item Item) ([]Item, bool) {
	for i, line := range cart {
		if line.SKU == item.SKU {
			if line.Qty+item.Qty > maxQty {
				return nil, false
			}
			cart = append([]Item(nil), cart...)
			cart[i].Qty += item.Qty
			return cart, true
		}
	}
	return append(cart, item), true
}

// logout ends the session: the response deletes the cookie, or hands a
// token client an empty token.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	a.sessions.Get(r).Destroy()
	w.WriteHeader(http.StatusNoContent)
}

// signedIn answers 401 unless the session has a user, and otherwise
// calls h with the session and what it holds.
func (a *app) signedIn(h func(http.ResponseWriter, *http.Request, *cookiesession.Session, Me)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := a.sessions.Get(r)
		me := Me{Cart: []Item{}, ExpiresAt: s.ExpiresAt().UTC()}
		ok, err := s.Get("user", &me.User)
		if err == nil && ok {
			_, err = s.Get("cart", &me.Cart)
		}
		switch {
		case err != nil:
			serverError(w, err)
		case !ok:
			writeError(w, http.StatusUnauthorized, "not signed in")
		default:
			h(w, r, s, me)
		}
	}
}

// set stores value under key, or answers 413 when the session would no
// longer fit in a cookie (the session is unchanged) and 500 otherwise.
func (a *app) set(w http.ResponseWriter, s *cookiesession.Session, key string, value any) bool {
	err := s.Set(key, value)
	var se *cookiesession.SizeError
	switch {
	case err == nil:
		return true
	case errors.As(err, &se):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf(
			"the session would be %d bytes, over the %d bytes a cookie holds; the %s is unchanged", se.Size, se.Limit, key))
	default:
		serverError(w, err)
	}
	return false
}

func checkUser(user string) string {
	switch {
	case user == "":
		return `"user" is required`
	case utf8.RuneCountInString(user) > maxUserLen:
		return fmt.Sprintf(`"user" is at most %d characters`, maxUserLen)
	case !allOf(user, userChar):
		return `"user" may hold only letters, digits, ".", "-" and "_"`
	}
	return ""
}

func checkItem(item Item) string {
	switch {
	case item.SKU == "" || len(item.SKU) > maxSKULen:
		return fmt.Sprintf(`"sku" is required, at most %d characters`, maxSKULen)
	case !allOf(item.SKU, skuChar):
		return `"sku" may hold only ASCII letters, digits, "-" and "_"`
	case item.Qty < 1 || item.Qty > maxQty:
		return fmt.Sprintf(`"qty" is a whole number from 1 to %d`, maxQty)
	}
	return ""
}

func userChar(c rune) bool {
	return unicode.IsLetter(c) || unicode.IsDigit(c) || c == '.' || c == '-' || c == '_'
}

func skuChar(c rune) bool {
	return c < utf8.RuneSelf && (unicode.IsLetter(c) || unicode.IsDigit(c) || c == '-' || c == '_')
}

// allOf reports whether s is UTF-8 and every character of it satisfies ok.
func allOf(s string, ok func(rune) bool) bool {
	for _, c := range s {
		if c == utf8.RuneError || !ok(c) {
			return false
		}
	}
	return true
}
