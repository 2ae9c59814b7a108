package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cookiesession/cookiesession"
)

// describe says where v came from, for the first line of its block.
func (v opened) describe() string {
	switch v.from {
	case fromSetCookie:
		return "a Set-Cookie header"
	case fromCookie:
		return "a cookie"
	case fromToken:
		return "a " + v.header + " header"
	}
	return "a value"
}

// printContents prints what v holds as aligned "label: value" lines.
func (o *inspection) printContents(c *cli, v opened) {
	line := func(label, format string, args ...any) {
		fmt.Fprintf(c.stdout, "%-13s"+format+"\n", append([]any{label + ":"}, args...)...)
	}
	line("cookie", "%s, from %s", o.name, v.describe())
	switch {
	case v.deletes && v.from == fromToken:
		line("action", "the header is empty: the session ended and the client discards its token")
		return
	case v.deletes:
		line("action", "the Set-Cookie line deletes the cookie")
		return
	case v.err != nil:
		line("status", "invalid: %s", strings.TrimPrefix(o.explain(v), "cookiesession: invalid cookie: "))
	default:
		line("status", "valid")
	}
	if v.contents == nil {
		return
	}
	ct := v.contents
	if ct.Cookies > 1 {
		chunks := fmt.Sprintf("%s and %s.1 to %s.%d", o.name, o.name, o.name, ct.Cookies-1)
		line("format", "v%d, a %s split over %d cookies: %s", ct.Version, ct.Transport, ct.Cookies, chunks)
	} else {
		line("format", "v%d, a %s", ct.Version, ct.Transport)
	}
	if ct.Primary {
		line("key", "%s, primary", ct.KeyID)
	} else {
		line("key", "%s, not primary (will be re-sealed on its next use)", ct.KeyID)
	}
	line("issued", "%s", o.when(ct.IssuedAt))
	line("expires", "%s", o.when(ct.ExpiresAt))
	line("renewed", "%s", o.when(ct.RenewedAt))
	if !ct.RevalidatedAt.IsZero() {
		line("revalidated", "%s", o.when(ct.RevalidatedAt))
	}
	line("session ID", "%s", ct.SessionID)
	line("persistent", "%s", yesNo(ct.Persistent))
	line("entries", "%d", len(ct.Values))
	for _, k := range slices.Sorted(maps.Keys(ct.Values)) {
		fmt.Fprintf(c.stdout, "  %s = %s\n", k, ct.Values[k])
	}
	line("flashes", "%d", len(ct.Flashes))
	for _, f := range ct.Flashes {
		fmt.Fprintf(c.stdout, "  %s: %s\n", f.Kind, f.Message)
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no (a browser-session cookie)"
}

// A report is inspect's JSON for one value: one object holding the fields
// of origin, those of the contents where the value opened, and those of
// failure where it did not.
type report struct {
	origin   origin
	contents *cookiesession.Contents
	failure  *failure
}

type origin struct {
	Cookie  string `json:"cookie"`
	From    string `json:"from"`             // value, cookie, set-cookie or token
	Header  string `json:"header,omitempty"` // for a token, the header's name
	Deletes bool   `json:"deletes,omitempty"`
}

type failure struct {
	Error     string    `json:"error"`
	Reason    string    `json:"reason,omitempty"`
	KeyID     string    `json:"key_id,omitempty"` // an unknown key's; for others, the contents give it
	ExpiredAt time.Time `json:"expired_at,omitzero"`
}

func (o *inspection) report(v opened) *report {
	r := &report{
		origin:   origin{Cookie: o.name, From: v.from, Header: v.header, Deletes: v.deletes},
		contents: v.contents,
	}
	if v.err == nil {
		return r
	}
	r.failure = &failure{Error: v.err.Error()}
	if inv := invalid(v.err); inv != nil {
		r.failure.Reason = string(inv.Reason)
		if v.contents == nil {
			r.failure.KeyID = inv.KeyID
		} else if inv.Reason == cookiesession.ReasonExpired {
			r.failure.ExpiredAt = v.contents.ExpiresAt
		}
	}
	return r
}

// MarshalJSON joins the objects of r's parts into one.
func (r *report) MarshalJSON() ([]byte, error) {
	parts := []any{r.origin}
	if r.contents != nil {
		parts = append(parts, r.contents)
	}
	if r.failure != nil {
		parts = append(parts, r.failure)
	}
	out := []byte{'{'}
	for _, p := range parts {
		b, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, b[1:len(b)-1]...) // every part has fields, so none is {}
	}
	return append(out, '}'), nil
}

func (c *cli) printJSON(r *report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.stdout, "%s\n", b)
	return err
}

// invalid returns the *InvalidError in err's chain, or nil.
func invalid(err error) *cookiesession.InvalidError {
	var inv *cookiesession.InvalidError
	if errors.As(err, &inv) {
		return inv
	}
	return nil
}

// keyIDs lists the IDs of ring's keys, primary first.
func keyIDs(ring *cookiesession.KeyRing) string {
	var ids []string
	for _, k := range ring.Stats() {
		ids = append(ids, k.ID)
	}
	return strings.Join(ids, ", ")
}
