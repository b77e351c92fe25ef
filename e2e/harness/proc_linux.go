package harness

import "syscall"

// sysProcAttr makes the kernel kill a server if the test binary dies (panic,
// -timeout) before its cleanup ran, so no server outlives the tests.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
