//go:build !linux

package drill

import "syscall"

// setParentDeathSignal does nothing: only Linux stops a child when its
// parent dies. Elsewhere, a drill that is killed leaves its children behind.
func setParentDeathSignal(*syscall.SysProcAttr) {}
