package targets

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/docker"
	"github.com/computeladder/computeladder/deployers/qemu"
)

// Setup checks the local prerequisites of variants on this machine and says
// what it found: the platform, the QEMU that runs this machine's guest and
// the accelerator it gets, and the Docker engine (where, and how it was
// found). It installs QEMU where it can — apt-get on Debian and Ubuntu
// (also inside WSL2), as root or with password-less sudo — and otherwise
// names the exact command (macOS: brew install qemu). Docker is only
// checked: installing an engine is the user's choice. The other programs
// a lab needs (prs) are installed or named the same way as QEMU. What is
// still missing is a *PrereqError (exit 2).
func Setup(ctx context.Context, variants []deployers.Variant, prs []Prereq, w io.Writer) error {
	p := ThisPlatform()
	fmt.Fprintf(w, "platform: %s\n", p)
	needQEMU, needDocker := needs(variants)
	if needQEMU {
		bin, pkg, _ := qemu.QEMUBinary(p.Arch)
		if _, err := exec.LookPath(bin); err != nil {
			if err := installQEMU(ctx, p, pkg, w); err != nil {
				return err
			}
		}
		path, err := exec.LookPath(bin)
		if err != nil {
			return missingQEMU(p, bin, pkg)
		}
		fmt.Fprintf(w, "qemu: %s (runs %s guests)\n", path, p.Arch)
		fmt.Fprintf(w, "accelerator: %s\n", accelLine(p))
	}
	if needDocker {
		e, err := docker.FindEngine()
		if err != nil {
			return &PrereqError{fmt.Sprintf("Docker: %v; %s", err, p.DockerInstall())}
		}
		v, err := engineVersion(ctx, e)
		if err != nil {
			return &PrereqError{fmt.Sprintf("Docker at %s is not reachable (%v): start it, or %s", e, err, p.DockerInstall())}
		}
		fmt.Fprintf(w, "docker: %s; engine %s runs %s/%s\n", e, v.Version, v.Os, docker.GOARCH(v.Arch))
	}
	if err := setupPrereqs(ctx, p, prs, w); err != nil {
		return err
	}
	fmt.Fprintln(w, "prerequisites: ok")
	return nil
}

// accelLine says which accelerator this machine's guest gets.
func accelLine(p Platform) string {
	a, why, err := qemu.HostAccel(p.Arch)
	switch {
	case a == "":
		return "TCG (software emulation): " + why
	case err != nil:
		return fmt.Sprintf("TCG (software emulation): %s is not usable (%v); %s", a.Label(), err, p.AccelAdvice())
	}
	return fmt.Sprintf("%s is usable; whether it really boots a guest, the first deployment probes (within 10 s), else it falls back to TCG", a.Label())
}

func engineVersion(ctx context.Context, e docker.Engine) (client.ServerVersionResult, error) {
	c, err := e.Client()
	if err != nil {
		return client.ServerVersionResult{}, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return c.ServerVersion(ctx, client.ServerVersionOptions{})
}

func missingQEMU(p Platform, bin, pkg string) error {
	cmd, _ := p.QEMUInstall(pkg)
	return &PrereqError{fmt.Sprintf("QEMU is missing (%s): install it with `%s`, or run `make setup`", bin, cmd)}
}

// installQEMU installs pkg with apt-get where setup may; otherwise it
// returns the error that names the command.
func installQEMU(ctx context.Context, p Platform, pkg string, w io.Writer) error {
	bin, _, _ := qemu.QEMUBinary(p.Arch)
	if _, runnable := p.QEMUInstall(pkg); !runnable {
		return missingQEMU(p, bin, pkg)
	}
	return aptGet(ctx, p, "QEMU", w, missingQEMU(p, bin, pkg), pkg)
}

// aptInstall is the one command that installs pkgs on Debian and Ubuntu.
func aptInstall(pkgs ...string) []string {
	return append([]string{"apt-get", "install", "-y", "--no-install-recommends"}, pkgs...)
}
