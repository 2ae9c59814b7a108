//go:build !unix

package drill_test

import "testing"

func checkNoneLeft(t *testing.T, pids []int) {}
