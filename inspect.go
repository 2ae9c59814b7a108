package cookiesession

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"
)

// Contents is what a sealed session holds, as [KeyRing.Inspect] reports it.
// It marshals to JSON. Values and flashes are the session's own data, which
// may be personal: show them to those entitled to the session only.
type Contents struct {
	Version       int                        `json:"version"`                 // wire format version: 1, 2 or 3
	Transport     string                     `json:"transport"`               // "cookie" or "token"
	KeyID         string                     `json:"key_id"`                  // the key that sealed it, as 8 hexadecimal digits
	Primary       bool                       `json:"primary"`                 // whether that key is the ring's primary
	IssuedAt      time.Time                  `json:"issued_at"`               // creation or last Regenerate
	ExpiresAt     time.Time                  `json:"expires_at"`              // the sealed absolute expiry
	RenewedAt     time.Time                  `json:"renewed_at"`              // when the value was sealed
	RevalidatedAt time.Time                  `json:"revalidated_at,omitzero"` // the last Config.Revalidate that passed, if after IssuedAt
	SessionID     string                     `json:"session_id"`              // as Session.ID reports it
	Persistent    bool                       `json:"persistent"`              // sent with Max-Age, or a browser-session cookie
	Cookies       int                        `json:"cookies"`                 // how many cookies it is split over; 1 for a token
	Values        map[string]json.RawMessage `json:"values"`                  // each entry's JSON, unparsed
	Flashes       []Flash                    `json:"flashes"`                 // in the order they were added
}

// Flash is one flash message of [Contents].
type Flash struct {
	Kind    string          `json:"kind"`
	Message json.RawMessage `json:"message"`
}

// Inspect opens value, sealed for the cookie called name (for a token
// too: Config.Name, not Config.TokenHeader), and reports what it holds,
// for the tools of those who operate or support a service. It applies the
// rules of FORMAT.md with a clock skew of one minute, and no lifetime or
// idle timeout of a Manager; a token may be as long as a Manager with the
// most MaxCookies accepts. It does not count as a use in
// [KeyRing.Stats].
//
// Its errors are those of opening a cookie: they match [ErrInvalid], and
// errors.As gives an [*InvalidError] whose KeyID names an unknown key. For
// a value that is authentic but expired or issued in the future, Inspect
// returns its Contents along with the error.
func (r *KeyRing) Inspect(name, value string, now time.Time) (*Contents, error) {
	return r.InspectChunks(name, []string{value}, now)
}

// InspectChunks is [KeyRing.Inspect] for a session that may be split over
// several cookies (see [Config.MaxCookies]): values[i] is the value of the
// cookie called name for i = 0, and of its chunk name.i after that, "" for
// one the request did not carry. It opens the session as a Manager that
// reads len(values) cookies does: values past the number of cookies the
// session says it takes are not read, and a chunk that is missing or
// mis-split gives an error with [ReasonChunks].
func (r *KeyRing) InspectChunks(name string, values []string, now time.Time) (*Contents, error) {
	if len(values) == 0 || len(values) > maxChunks {
		return nil, invalid(ReasonChunks)
	}
	var p payload
	t, cookies, value := viaCookie, 1, values[0]
	if count := chunkCount(value); count > 0 {
		c := &chunks{values: values}
		for i, v := range values[1:] {
			if v != "" {
				c.carried.add(i + 1)
			}
		}
		var err error
		if value, err = joinChunks(chunkNames(name, len(values)), value, count, c); err != nil {
			return nil, err
		}
		cookies = count
	}
	k, err := r.unseal(&p, name, value, t, cookies, cookies*MaxCookieSize)
	if ie := (*InvalidError)(nil); errors.As(err, &ie) && (ie.Reason == ReasonAuth || ie.Reason == ReasonTooLong) && cookies == 1 {
		// Not a cookie of that name; perhaps a token, which may be as long
		// as the most cookies a Manager splits a session over.
		if hk, herr := r.unseal(&p, name, value, viaHeader, 1, maxChunks*MaxCookieSize); herr == nil {
			k, err, t = hk, nil, viaHeader
		}
	}
	if err != nil {
		return nil, err
	}
	c := &Contents{
		Version:    int(p.version),
		Transport:  t.String(),
		KeyID:      k.idString(),
		Primary:    k == r.primary(),
		IssuedAt:   time.Unix(p.issuedAt, 0),
		ExpiresAt:  time.Unix(p.expiresAt, 0),
		RenewedAt:  time.Unix(p.renewedAt, 0),
		SessionID:  base64.RawURLEncoding.EncodeToString(p.id[:]),
		Persistent: p.persistent,
		Cookies:    cookies,
		Values:     make(map[string]json.RawMessage, len(p.entries)),
		Flashes:    make([]Flash, len(p.flashes)),
	}
	if p.recordsChecked() {
		c.RevalidatedAt = time.Unix(p.checkedAt, 0)
	}
	for _, e := range p.entries {
		c.Values[e.key] = e.value
	}
	for i, f := range p.flashes {
		c.Flashes[i] = Flash{Kind: f.key, Message: f.value}
	}
	return c, checkTimes(&p, now, defaultSkew, p.expiresAt)
}
