package pgserver

import "syscall"

// installHint names Homebrew's formulae; postgresql@17 is keg-only, which is
// why binGlobs looks in Homebrew's opt directories.
const installHint = "brew install postgresql@17 pgbouncer"

// binGlobs are where Homebrew keeps the server binaries, on Apple Silicon
// (/opt/homebrew) and on Intel (/usr/local).
var binGlobs = []string{"/opt/homebrew/opt/postgresql@*/bin/postgres", "/usr/local/opt/postgresql@*/bin/postgres"}

// sysProcAttr puts the server in its own process group, so that a Ctrl-C on
// the terminal reaches the harness, which stops the server in order. macOS
// has no parent-death signal: a server whose harness was killed runs on
// until `computeladder sweep` (Sweep) kills it from its pid file.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true}
}
