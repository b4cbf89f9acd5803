package main

import (
	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/harness/targets"
)

func newSetupCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "setup [vm|container|lambda|all]",
		Short: "Check the local prerequisites and install QEMU where possible",
		Long: `Setup checks that Docker answers and that QEMU is installed. When QEMU is
missing on Debian or Ubuntu it installs it with apt-get (as root, or with
password-less sudo); otherwise it prints the exact command to run. It
never installs Docker: it names it.`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{"vm", "container", "lambda", "all"},
		RunE: func(cmd *cobra.Command, args []string) error {
			which := "all"
			if len(args) == 1 {
				which = args[0]
			}
			variants, err := parseVariants(which)
			if err != nil {
				return err
			}
			return targets.Setup(cmd.Context(), variants, cmd.ErrOrStderr())
		},
	}
}
