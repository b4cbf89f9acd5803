package targets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Prereq is a program a lab needs on this machine besides QEMU and Docker
// (the connection-storm lab's PostgreSQL server and PgBouncer), with the
// package that provides it on each OS. Setup installs it where it installs
// QEMU (apt-get on Debian and Ubuntu) and names the command elsewhere; a
// lab's run checks it first, with CheckPrereqs, and stops with exit 2.
type Prereq struct {
	// Name is what it is, e.g. "pgbouncer".
	Name string
	// Find returns where it is installed, or an error when it is not.
	Find func() (string, error)
	// Apt is the Debian and Ubuntu package; Brew the Homebrew formula.
	Apt, Brew string
}

// Install is the command that installs pr here, and whether setup may run
// it (apt-get, as root or with password-less sudo; Homebrew is only named:
// it refuses to run as root and may ask questions).
func (p Platform) Install(pr Prereq) (cmd string, runnable bool) {
	switch {
	case p.OS == "darwin":
		return "brew install " + pr.Brew, false
	case p.Apt:
		return "sudo apt-get install -y --no-install-recommends " + pr.Apt, true
	}
	return fmt.Sprintf("your distribution's %s package (Debian and Ubuntu call it %s)", pr.Name, pr.Apt), false
}

// missing is the error for a prerequisite that is not installed.
func (p Platform) missing(pr Prereq, lab string) error {
	cmd, _ := p.Install(pr)
	msg := fmt.Sprintf("%s not found: install it with `%s`", pr.Name, cmd)
	if lab != "" {
		msg += fmt.Sprintf(", or run `computeladder setup %s`", lab)
	}
	return &PrereqError{msg}
}

// CheckPrereqs returns a PrereqError (exit 2) for the first of prs that is
// not installed, naming the command that installs it here and `computeladder
// setup lab`.
func CheckPrereqs(lab string, prs ...Prereq) error {
	p := ThisPlatform()
	for _, pr := range prs {
		if _, err := pr.Find(); err != nil {
			return p.missing(pr, lab)
		}
	}
	return nil
}

// setupPrereqs says where each of prs is, and installs (apt-get, in one
// call: one package index update) or names the missing ones.
func setupPrereqs(ctx context.Context, p Platform, prs []Prereq, w io.Writer) error {
	var missing []Prereq
	var names, pkgs []string
	var notHere []error // each missing one with the command that installs it
	for _, pr := range prs {
		if path, err := pr.Find(); err == nil {
			fmt.Fprintf(w, "%s: %s\n", pr.Name, path)
			continue
		}
		missing = append(missing, pr)
		names, pkgs = append(names, pr.Name), append(pkgs, pr.Apt)
		notHere = append(notHere, p.missing(pr, ""))
	}
	if len(missing) == 0 {
		return nil
	}
	if err := aptGet(ctx, p, strings.Join(names, ", "), w, errors.Join(notHere...), pkgs...); err != nil {
		return err
	}
	for _, pr := range missing {
		path, err := pr.Find()
		if err != nil {
			return p.missing(pr, "")
		}
		fmt.Fprintf(w, "%s: %s\n", pr.Name, path)
	}
	return nil
}

// aptGet installs pkgs with apt-get where setup may (a Debian-family
// system, as root or with password-less sudo); elsewhere it returns
// notHere, the error that names the command.
func aptGet(ctx context.Context, p Platform, what string, w io.Writer, notHere error, pkgs ...string) error {
	if !p.Apt || p.OS != "linux" {
		return notHere
	}
	var prefix []string
	if os.Geteuid() != 0 {
		if _, err := exec.LookPath("sudo"); err != nil {
			return notHere
		}
		// -n: never prompt; without a cached password, say the command.
		if exec.CommandContext(ctx, "sudo", "-n", "true").Run() != nil {
			return notHere
		}
		prefix = []string{"sudo", "-n"}
	}
	fmt.Fprintf(w, "installing %s (%s) with apt-get…\n", what, strings.Join(pkgs, " "))
	for _, args := range [][]string{{"apt-get", "update", "-qq"}, aptInstall(pkgs...)} {
		args = append(prefix, args...)
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = w, w
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if err := cmd.Run(); err != nil {
			return &PrereqError{fmt.Sprintf("installing %s failed (%v): run `sudo %s` yourself", what, err, strings.Join(aptInstall(pkgs...), " "))}
		}
	}
	return nil
}
