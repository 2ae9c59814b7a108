//go:build unix

package drill_test

import (
	"errors"
	"syscall"
	"testing"
)

// checkNoneLeft fails t if any process is left in the process groups the
// drill started, each led by one of pids.
func checkNoneLeft(t *testing.T, pids []int) {
	t.Helper()
	if len(pids) == 0 {
		t.Error("the drill reports no process started")
	}
	for _, pid := range pids {
		if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process group %d: got %v, want ESRCH: a process was left running", pid, err)
		}
	}
}
