// Package sessionmetrics exports a cookiesession Manager's statistics as
// Prometheus metrics. It is an example of feeding Manager.Stats to a
// metrics system: the root module does not depend on Prometheus, so this
// lives in a module of its own.
package sessionmetrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cookiesession/cookiesession"
)

var (
	keyOpens = prometheus.NewDesc("cookiesession_key_opens_total",
		"Cookies and tokens opened with each key of the ring.", []string{"key_id", "primary"}, nil)
	keyLastUsed = prometheus.NewDesc("cookiesession_key_last_used_timestamp_seconds",
		"When each key of the ring last opened a cookie or token; absent for a key that opened none.", []string{"key_id"}, nil)
	issued = prometheus.NewDesc("cookiesession_sessions_issued_total",
		"New sessions written for the first time.", nil, nil)
	resealed = prometheus.NewDesc("cookiesession_sessions_resealed_total",
		"Sessions written under the primary key because another key had opened them.", nil, nil)
	upgraded = prometheus.NewDesc("cookiesession_sessions_upgraded_total",
		"Sessions written in the current wire format because they came in an older one.", nil, nil)
	invalid = prometheus.NewDesc("cookiesession_invalid_total",
		"Requests whose cookie or token could not be opened, by reason.", []string{"reason"}, nil)
	tooLarge = prometheus.NewDesc("cookiesession_writes_too_large_total",
		"Session writes refused because the session would not fit in its cookies (MaxCookies, MaxSize).", nil, nil)
	revalidations = prometheus.NewDesc("cookiesession_revalidations_total",
		"Outcomes of the Revalidate hook's calls.", []string{"outcome"}, nil)
	coalesced = prometheus.NewDesc("cookiesession_revalidations_coalesced_total",
		"Checks answered by another request's call of the Revalidate hook for the same session, with no call of their own.", nil, nil)
	migrated = prometheus.NewDesc("cookiesession_migrated_total",
		"Sessions made from legacy gorilla/sessions cookies.", nil, nil)
	dropped = prometheus.NewDesc("cookiesession_migration_dropped_total",
		"Legacy values that could not be carried into a session.", nil, nil)
)

// Collector reads a Manager's Stats on every scrape. Register it with
// prometheus.MustRegister(sessionmetrics.New(m)).
type Collector struct {
	m *cookiesession.Manager
}

// New returns a Collector of m's statistics.
func New(m *cookiesession.Manager) *Collector { return &Collector{m: m} }

// Describe sends the descriptors of every metric the Collector exports.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{keyOpens, keyLastUsed, issued, resealed, upgraded, invalid, tooLarge, revalidations, coalesced, migrated, dropped} {
		ch <- d
	}
}

// Collect sends the metrics of one snapshot of the Manager's Stats.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.m.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, k := range st.Keys {
		primary := "false"
		if k.Primary {
			primary = "true"
		}
		counter(keyOpens, k.Opens, k.ID, primary)
		if !k.LastUsed.IsZero() {
			ch <- prometheus.MustNewConstMetric(keyLastUsed, prometheus.GaugeValue, float64(k.LastUsed.Unix()), k.ID)
		}
	}
	counter(issued, st.Issued)
	counter(resealed, st.Resealed)
	counter(upgraded, st.Upgraded)
	for reason, n := range st.Invalid {
		counter(invalid, n, string(reason))
	}
	counter(tooLarge, st.TooLarge)
	counter(revalidations, st.Revalidation.Passed, "passed")
	counter(revalidations, st.Revalidation.Failed, "failed")
	counter(revalidations, st.Revalidation.Deferred, "deferred")
	counter(coalesced, st.Revalidation.Coalesced)
	counter(migrated, st.Migrated)
	counter(dropped, st.Dropped)
}
