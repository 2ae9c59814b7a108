package main

import (
	"testing"
	"time"
)

func TestRelative(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "now"},
		{400 * time.Millisecond, "now"},
		{10 * time.Second, "in 10s"},
		{-90 * time.Second, "1m30s ago"},
		{5 * time.Minute, "in 5m"},
		{-2 * time.Hour, "2h ago"},
		{23*time.Hour + 59*time.Minute + 59*time.Second, "in 23h59m"},
		{24 * time.Hour, "in 1d"},
		{-(51*time.Hour + 10*time.Minute), "2d3h ago"},
		{30 * 24 * time.Hour, "in 30d"},
	} {
		if got := relative(tc.d); got != tc.want {
			t.Errorf("relative(%v): got %q, want %q", tc.d, got, tc.want)
		}
	}
}
