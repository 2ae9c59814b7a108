package demoapp

import (
	"fmt"
	"html/template"
	"strconv"
	"time"

	"github.com/cookiesession/cookiesession"
)

// view is what the page template renders.
type view struct {
	Panel  Panel
	DevKey bool     // sealed under the published development key
	Infos  []string // flashes and messages
	Errors []string

	// What the user typed into a form that was refused, to show it again.
	User     string
	Remember bool
	Note     string
}

// Panel describes the request's session: the page's session card, and the
// JSON of GET /api/session.
type Panel struct {
	User       string    `json:"user"`        // "" when nobody is signed in
	ID         string    `json:"id"`          // the session ID
	IssuedAt   time.Time `json:"issued_at"`   // creation or last Regenerate
	ExpiresAt  time.Time `json:"expires_at"`  // absolute expiry
	New        bool      `json:"new"`         // no valid cookie came with the request
	Changed    bool      `json:"changed"`     // this request changed the session
	Persistent bool      `json:"persistent"`  // "remember me": the cookie outlives the browser
	KeyID      string    `json:"key_id"`      // the key that sealed the request's cookie; "" if new
	PrimaryKey string    `json:"primary_key"` // the key that seals the response's cookie
	Cookie     bool      `json:"cookie"`      // whether the session needs a cookie: it holds something
	Size       int       `json:"size"`        // the cookies' names plus values, in bytes
	MaxSize    int       `json:"max_size"`    // the most the session may take: three full cookies
	Cookies    []Cookie  `json:"cookies"`     // the cookies the session takes, one a chunk

	Count      int       `json:"count"`
	Notes      []string  `json:"notes"`
}

func (a *app) panel(s *cookiesession.Session) (Panel, error) {
	p := Panel{
		ID:         s.ID(),
		IssuedAt:   s.IssuedAt().UTC(),
		ExpiresAt:  s.ExpiresAt().UTC(),
		New:        s.IsNew(),
		Changed:    s.IsChanged(),
		Persistent: s.Persistent(),
		KeyID:      s.KeyID(),
		PrimaryKey: a.primary,
		Cookie:     s.IsPopulated(),
		Size:       s.Size(),
		MaxSize:    maxSize,
		Notes:      []string{},
	}
	if p.Cookie {
		p.Cookies = chunks(p.Size)
	}
	for key, dst := range map[string]any{"user": &p.User, "count": &p.Count, "notes": &p.Notes} {
		if _, err := s.Get(key, dst); err != nil {
			return Panel{}, err
		}
	}
	return p, nil
}

// Cookie is one of the cookies a session takes.
type Cookie struct {
	Name string `json:"name"`
	Size int    `json:"size"` // name plus value, in bytes
}

// chunks returns the cookies of a session of size bytes: as many as
// MaxCookieSize divides it into, each but the last full.
func chunks(size int) []Cookie {
	var cs []Cookie
	for i := 0; size > 0; i++ {
		name := CookieName
		if i > 0 {
			name += "." + strconv.Itoa(i)
		}
		n := min(size, cookiesession.MaxCookieSize)
		cs = append(cs, Cookie{Name: name, Size: n})
		size -= n
	}
	return cs
}

// Percent is the share of its limit the session uses.
func (p Panel) Percent() int { return p.Size * 100 / p.MaxSize }

// Warn and Danger are the sizes where the size bar turns amber and red.
func (p Panel) Warn() int   { return p.MaxSize * 3 / 4 }
func (p Panel) Danger() int { return p.MaxSize * 9 / 10 }

var funcs = template.FuncMap{
	"datetime": func(t time.Time) string { return t.Format(time.RFC3339) },
	"clock":    func(t time.Time) string { return t.Format("2 Jan 2006, 15:04:05 MST") },
	"fromNow":  fromNow,
}

// fromNow says how far t is from now, in words: "in 23 h 59 min", "3 min ago".
func fromNow(t time.Time) string {
	d := time.Until(t).Round(time.Second)
	switch {
	case d > -time.Minute && d < time.Minute:
		return "just now"
	case d > 0:
		return "in " + span(d)
	default:
		return span(-d) + " ago"
	}
}

func span(d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h >= 48:
		return fmt.Sprintf("%d days", h/24)
	case h > 0:
		return fmt.Sprintf("%d h %d min", h, m)
	default:
		return fmt.Sprintf("%d min", m)
	}
}
