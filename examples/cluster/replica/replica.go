// Package replica is the service that the cluster example runs several
// copies of: a small JSON API whose only state, a per-user counter, lives in
// the session cookie. Replicas share nothing but SESSION_KEYS, so any of them
// can serve any request.
//
// Routes:
//
//	POST /login    user=NAME        start a new session for NAME, counter at 0
//	GET  /counter                   read the counter
//	POST /counter                   add one to the counter
//	POST /logout                    end the session
//	GET  /healthz                   this replica's name and key ring, by key ID
//	GET  /debug/sessions            Manager.Stats as JSON, for operators only
//
// Every response is JSON and says which replica served it. A request
// without a valid session gets 401.
package replica

import (
	"encoding/json"
	"net/http"
	"os"

	"github.com/cookiesession/cookiesession"
)

// State is the body of the session routes' responses.
type State struct {
	Replica string `json:"replica"`           // the replica that served the request
	User    string `json:"user,omitempty"`    // the session's user
	Count   int    `json:"count"`             // the counter, after this request
	Session string `json:"session,omitempty"` // Session.ID, which only login changes
	// OpenedBy is the ID of the key that opened the request's cookie:
	// the key the cookie was sealed under when the previous response set it.
	OpenedBy string `json:"opened_by,omitempty"`
	// Primary is the ID of the key this replica seals with; a response
	// that writes the cookie seals it under this key.
	Primary string `json:"primary"`
}

// Health is the body of GET /healthz.
type Health struct {
	Replica string   `json:"replica"`
	PID     int      `json:"pid"`
	Ring    []string `json:"ring"` // key IDs, primary first
}

// A Server is the API of one replica.
type Server struct {
	name string
	keys *cookiesession.KeyRing
	m    *cookiesession.Manager
	h    http.Handler
}

// CookieName is the replicas' session cookie: the fleet's own, since the
// other examples run on 127.0.0.1 too and cookies ignore ports.
const CookieName = "__Host-cluster"

// New returns the API of the replica called name, sealing sessions with
// keys. Its Manager uses cookiesession's default configuration but for the
// cookie's name, CookieName.
func New(name string, keys *cookiesession.KeyRing) (*Server, error) {
	m, err := cookiesession.New(keys, cookiesession.Config{Name: CookieName})
	if err != nil {
		return nil, err
	}
	s := &Server{name: name, keys: keys, m: m}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /counter", s.read)
	mux.HandleFunc("POST /counter", s.increment)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /healthz", s.health)
	mux.Handle("GET /debug/sessions", m.StatsHandler())
	s.h = m.Handler(mux)
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// Stats returns the session statistics that GET /debug/sessions serves.
func (s *Server) Stats() cookiesession.Stats { return s.m.Stats() }

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	user := r.PostFormValue("user")
	if user == "" || len(user) > 64 {
		s.reply(w, http.StatusBadRequest, map[string]string{"error": "user must be 1 to 64 bytes"})
		return
	}
	sess := s.m.Get(r)
	sess.Regenerate()
	sess.Clear()
	if err := sess.Set("user", user); err != nil {
		s.fail(w, err)
		return
	}
	if err := sess.Set("count", 0); err != nil {
		s.fail(w, err)
		return
	}
	s.reply(w, http.StatusOK, s.state(sess, user, 0))
}

func (s *Server) read(w http.ResponseWriter, r *http.Request) {
	sess, user, n, ok := s.session(w, r)
	if ok {
		s.reply(w, http.StatusOK, s.state(sess, user, n))
	}
}

// increment adds one to the counter in the cookie. The request carries the
// value it changes, so handling the same request twice gives the same
// response: a proxy may safely send it again to another replica.
func (s *Server) increment(w http.ResponseWriter, r *http.Request) {
	sess, user, n, ok := s.session(w, r)
	if !ok {
		return
	}
	n++
	if err := sess.Set("count", n); err != nil {
		s.fail(w, err)
		return
	}
	s.reply(w, http.StatusOK, s.state(sess, user, n))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.m.Get(r).Destroy()
	s.reply(w, http.StatusOK, State{Replica: s.name, Primary: s.keys.PrimaryID()})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := Health{Replica: s.name, PID: os.Getpid()}
	for _, k := range s.keys.Stats() {
		h.Ring = append(h.Ring, k.ID)
	}
	s.reply(w, http.StatusOK, h)
}

// session returns the request's session, its user and counter, or answers
// 401 if the session has no user: it is new, or its cookie could not be
// opened.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (*cookiesession.Session, string, int, bool) {
	sess := s.m.Get(r)
	var user string
	var n int
	if ok, err := sess.Get("user", &user); err != nil || !ok {
		s.reply(w, http.StatusUnauthorized, map[string]string{"error": "not logged in", "replica": s.name})
		return nil, "", 0, false
	}
	if _, err := sess.Get("count", &n); err != nil {
		s.fail(w, err)
		return nil, "", 0, false
	}
	return sess, user, n, true
}

func (s *Server) state(sess *cookiesession.Session, user string, n int) State {
	return State{
		Replica:  s.name,
		User:     user,
		Count:    n,
		Session:  sess.ID(),
		OpenedBy: sess.KeyID(),
		Primary:  s.keys.PrimaryID(),
	}
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	s.reply(w, http.StatusInternalServerError, map[string]string{"error": err.Error(), "replica": s.name})
}

func (s *Server) reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Replica", s.name)
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
