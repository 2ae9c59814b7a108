package drill

import "syscall"

// setParentDeathSignal has Linux send the child SIGTERM, which makes it shut
// down, if the drill dies before it could stop it: killed, or ended by a
// test's timeout.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }
