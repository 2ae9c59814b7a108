package cookiesession

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
)

// Stats is a snapshot of a [Manager]'s counters since it was made, for
// dashboards and alerts. It marshals to JSON and holds no secret: keys
// appear by ID only.
//
// Read it to operate a fleet: after a new key becomes primary, Resealed
// grows as old cookies come back and the old key's Opens stop growing;
// a replica whose ring lacks a key that others seal with shows
// Invalid["unknown key"] growing while its peers show none.
type Stats struct {
	// Keys describes the ring, primary first: each key's ID, and how many
	// cookies and tokens it opened and when it last did.
	Keys []KeyStats `json:"keys"`

	// Issued counts new sessions written for the first time: sessions
	// that came from no valid cookie, token or legacy cookie, including
	// one started again after Destroy.
	Issued uint64 `json:"issued"`

	// Resealed counts sessions written under the primary key because a
	// key other than the primary had opened them.
	Resealed uint64 `json:"resealed"`

	// Upgraded counts sessions written in the current wire format because
	// they came in an older one.
	Upgraded uint64 `json:"upgraded"`

	// Invalid counts requests whose cookie or token could not be opened,
	// by the reason reported to Config.OnInvalid. Every reason is present.
	Invalid map[Reason]uint64 `json:"invalid"`

	// TooLarge counts calls to Session.Set and Session.Flash refused
	// with ErrTooLarge.
	TooLarge uint64 `json:"too_large"`

	// Revalidation counts the outcomes of Config.Revalidate.
	Revalidation RevalidationStats `json:"revalidation"`

	// Migrated counts sessions made from a legacy gorilla/sessions cookie
	// (Config.Migrate), and Dropped the legacy values they could not carry.
	Migrated uint64 `json:"migrated"`
	Dropped  uint64 `json:"dropped"`
}

// RevalidationStats counts the outcomes of [Config.Revalidate]: Passed,
// Failed and Deferred count the hook's calls, and Coalesced the checks
// that another request's call answered.
type RevalidationStats struct {
	Passed    uint64 `json:"passed"`    // the hook returned nil
	Failed    uint64 `json:"failed"`    // the hook ended the session: an error or a panic
	Deferred  uint64 `json:"deferred"`  // the hook returned ErrRevalidateLater
	Coalesced uint64 `json:"coalesced"` // a request took the verdict of another's check of the same cookie or token
}

// reasons lists every Reason, in the order of FORMAT.md's rules, then the
// refusal of several tokens, then the reasons that policy adds.
var reasons = [...]Reason{
	ReasonChunks, ReasonTooLong, ReasonMalformed, ReasonTooShort, ReasonVersion, ReasonUnknownKey,
	ReasonAuth, ReasonPlaintext, ReasonFuture, ReasonExpired, ReasonSeveralTokens,
	ReasonRevalidation, ReasonLegacy,
}

// counters are a Manager's statistics. Each is one atomic add where it
// happens, on paths that already seal, open or refuse something; a request
// that only reads its session adds nothing here.
type counters struct {
	issued, resealed, upgraded, tooLarge atomic.Uint64
	passed, failed, deferred, coalesced  atomic.Uint64
	migrated, dropped                    atomic.Uint64
	invalid                              [len(reasons)]atomic.Uint64
}

// countInvalid counts a rejection reported to OnInvalid.
func (c *counters) countInvalid(err error) {
	var ie *InvalidError
	if !errors.As(err, &ie) {
		return
	}
	for i, r := range reasons {
		if r == ie.Reason {
			c.invalid[i].Add(1)
			return
		}
	}
}

// Stats returns a snapshot of m's counters and its key ring's usage.
func (m *Manager) Stats() Stats {
	c := &m.stats
	st := Stats{
		Keys:     m.keys.Stats(),
		Issued:   c.issued.Load(),
		Resealed: c.resealed.Load(),
		Upgraded: c.upgraded.Load(),
		Invalid:  make(map[Reason]uint64, len(reasons)),
		TooLarge: c.tooLarge.Load(),
		Revalidation: RevalidationStats{
			Passed: c.passed.Load(), Failed: c.failed.Load(), Deferred: c.deferred.Load(),
			Coalesced: c.coalesced.Load(),
		},
		Migrated: c.migrated.Load(),
		Dropped:  c.dropped.Load(),
	}
	for i, r := range reasons {
		st.Invalid[r] = c.invalid[i].Load()
	}
	return st
}

// StatsHandler returns a handler that serves [Manager.Stats] as JSON to
// GET and HEAD requests. Mount it where only operators can reach it; it
// reveals no secret, but traffic figures are nobody else's business.
func (m *Manager) StatsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		b, err := json.MarshalIndent(m.Stats(), "", "  ")
		if err != nil { // unreachable: Stats holds only numbers, strings and times
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(append(b, '\n'))
	})
}
