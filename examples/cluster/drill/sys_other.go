//go:build !unix

package drill

import (
	"os"
	"syscall"
)

// Without process groups, the drill stops each child it started directly.

func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}

func groupAlive(pid int) bool { return false }
