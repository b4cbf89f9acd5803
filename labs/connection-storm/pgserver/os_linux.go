package pgserver

import "syscall"

// installHint names the packages of Debian and Ubuntu (also inside WSL2).
const installHint = "sudo apt-get install -y postgresql pgbouncer (Debian/Ubuntu, also inside WSL2)"

// binGlobs are where Debian's postgresql packages put the server binaries.
var binGlobs = []string{"/usr/lib/postgresql/*/bin/postgres"}

// sysProcAttr puts the server in its own process group (a Ctrl-C on the
// terminal reaches the harness, which stops the server in order) and, if
// the harness is killed, has the kernel kill the server too (Pdeathsig);
// its directory is then left for Sweep.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
