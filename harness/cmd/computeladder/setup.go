package main

import (
	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

func newSetupCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "setup [vm|container|lambda|all]",
		Short: "Check the local prerequisites, say what was found, and install QEMU where possible",
		Long: `Setup says which platform this is (Linux, macOS, or Linux inside WSL2),
checks that the QEMU which runs this machine's guest is installed
(qemu-system-x86_64 on x86-64, qemu-system-aarch64 on arm64) and which
accelerator the guest gets (KVM on Linux, HVF on macOS, else TCG), and
finds the Docker engine as the Docker CLI does — DOCKER_HOST, the current
Docker context, then the sockets of Docker Engine, rootless Docker, Docker
Desktop, Colima, OrbStack and Rancher Desktop — and says which one it found
and how.

When QEMU is missing on Debian or Ubuntu (also inside WSL2) it installs it
with apt-get (qemu-system-x86 or qemu-system-arm; as root, or with
password-less sudo); on macOS it names the command, brew install qemu.
It never installs Docker: it names it.`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{"vm", "container", "lambda", "all"},
		RunE: func(cmd *cobra.Command, args []string) error {
			which := "all"
			if len(args) == 1 {
				which = args[0]
			}
			variants, err := kit.ParseVariants(which)
			if err != nil {
				return err
			}
			return targets.Setup(cmd.Context(), variants, cmd.ErrOrStderr())
		},
	}
}
