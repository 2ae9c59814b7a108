//go:build unix

package drill

import "syscall"

// sysProcAttr puts a child in a process group of its own, which the drill
// stops as a whole (nginx's workers with their master), and which a Ctrl-C
// in the terminal does not reach: the drill stops its children in order.
func sysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(a)
	return a
}

// killGroup kills every process left in the group that pid leads.
func killGroup(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }

// groupAlive reports whether any process is left in the group pid leads.
func groupAlive(pid int) bool { return syscall.Kill(-pid, 0) != syscall.ESRCH }
