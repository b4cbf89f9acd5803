package targets

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/computeladder/computeladder/deployers"
)

// aptInstallQEMU is the one command that installs QEMU on Debian and Ubuntu.
var aptInstallQEMU = []string{"apt-get", "install", "-y", "--no-install-recommends", "qemu-system-x86"}

// Setup checks the local prerequisites of variants and installs what it
// can: QEMU through apt-get when running as root or with password-less
// sudo on Debian or Ubuntu. Otherwise it says the exact command to run.
// Docker is only checked: installing an engine is the user's choice.
func Setup(ctx context.Context, variants []deployers.Variant, w io.Writer) error {
	needQEMU := false
	for _, v := range variants {
		needQEMU = needQEMU || v == deployers.VM
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); needQEMU && err != nil {
		if err := installQEMU(ctx, w); err != nil {
			return err
		}
	}
	if err := CheckLocal(ctx, variants); err != nil {
		return err
	}
	fmt.Fprintln(w, "prerequisites: ok")
	return nil
}

func installQEMU(ctx context.Context, w io.Writer) error {
	manual := &PrereqError{"QEMU is missing: install it with `sudo apt-get install -y --no-install-recommends qemu-system-x86` (Debian/Ubuntu) or your system's qemu-system-x86_64 package"}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return manual
	}
	var prefix []string
	if os.Geteuid() != 0 {
		if _, err := exec.LookPath("sudo"); err != nil {
			return manual
		}
		// -n: never prompt; without a cached password, say the command.
		if exec.CommandContext(ctx, "sudo", "-n", "true").Run() != nil {
			return manual
		}
		prefix = []string{"sudo", "-n"}
	}
	fmt.Fprintln(w, "installing QEMU (qemu-system-x86) with apt-get…")
	for _, args := range [][]string{{"apt-get", "update", "-qq"}, aptInstallQEMU} {
		args = append(prefix, args...)
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = w, w
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if err := cmd.Run(); err != nil {
			return &PrereqError{fmt.Sprintf("installing QEMU failed (%v): run `sudo apt-get install -y --no-install-recommends qemu-system-x86` yourself", err)}
		}
	}
	return nil
}
