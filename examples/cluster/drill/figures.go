package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"

	"github.com/cookiesession/cookiesession"
)

// figures are the session statistics the report shows for one replica.
// A replica's process counts from its start, so the drill takes figures
// when a phase begins, when a process exits (it writes its last figures to
// a file) and when the phase ends, and reports the difference.
type figures struct {
	opens      map[string]uint64 // by key ID
	resealed   uint64
	unknownKey uint64
}

func figuresOf(st cookiesession.Stats) figures {
	f := figures{opens: map[string]uint64{}, resealed: st.Resealed, unknownKey: st.Invalid[cookiesession.ReasonUnknownKey]}
	for _, k := range st.Keys {
		f.opens[k.ID] = k.Opens
	}
	return f
}

// plus returns f+g, or f-g if sign is -1.
func (f figures) plus(g figures, sign int) figures {
	add := func(a, b uint64) uint64 { return uint64(int64(a) + int64(sign)*int64(b)) }
	sum := figures{opens: maps.Clone(f.opens), resealed: add(f.resealed, g.resealed), unknownKey: add(f.unknownKey, g.unknownKey)}
	if sum.opens == nil {
		sum.opens = map[string]uint64{}
	}
	for id, n := range g.opens {
		sum.opens[id] = add(sum.opens[id], n)
	}
	return sum
}

// beginPhase takes every replica's figures as a phase begins.
func (f *fleet) beginPhase(ctx context.Context) error {
	for _, m := range f.replicas {
		st, err := f.stats(ctx, m)
		if err != nil {
			return err
		}
		m.start, m.done = figuresOf(st), figures{}
	}
	return nil
}

// exited adds the last figures of m's process, which has exited, to the
// phase's.
func (f *fleet) exited(m *member) error {
	b, err := os.ReadFile(m.statsFile())
	if err != nil {
		return fmt.Errorf("%s exited without its statistics: %w", m.name, err)
	}
	var st cookiesession.Stats
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%s's statistics: %w", m.name, err)
	}
	m.done = m.done.plus(figuresOf(st).plus(m.start, -1), 1)
	m.start = figures{}
	return os.Remove(m.statsFile())
}

// endPhase returns m's figures for the phase that ends, and its ring.
func (f *fleet) endPhase(ctx context.Context, m *member) (figures, []string, error) {
	st, err := f.stats(ctx, m)
	if err != nil {
		return figures{}, nil, err
	}
	var ring []string
	for _, k := range st.Keys {
		ring = append(ring, k.ID)
	}
	return m.done.plus(figuresOf(st).plus(m.start, -1), 1), ring, nil
}
