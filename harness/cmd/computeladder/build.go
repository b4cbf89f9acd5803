package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

func newBuildCmd() *cobra.Command {
	var opts artifact.Options
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build the VM binary, the Lambda function.zip and the container build context",
		Long: `Build compiles the three adapters for Linux (static, reproducible) into
OUT/ARCH/: vm/ (binary and systemd unit), lambda/ (bootstrap and
function.zip) and container/ (a FROM scratch build context), then prints
their sizes against the budgets. It fails when an artifact is over budget.
ARCH is this machine's architecture unless --arch names the other one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := targets.ParseArch(opts.Arch)
			if err != nil {
				return kit.Usage(fmt.Errorf("--arch: %w", err))
			}
			opts.Arch = a
			set, err := artifact.Build(cmd.Context(), opts)
			if err != nil {
				return err
			}
			sizes, err := set.Sizes()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "built for linux/%s:\n  vm:        %s\n  lambda:    %s\n  container: %s\n\n",
				set.Arch, set.VMBinary, set.FunctionZip, set.ContainerContext)
			if err := artifact.WriteSizes(out, sizes); err != nil {
				return err
			}
			return artifact.CheckBudgets(sizes)
		},
	}
	cmd.Flags().StringVar(&opts.Arch, "arch", runtime.GOARCH, "target architecture: amd64 or arm64 (default: this machine's)")
	cmd.Flags().StringVar(&opts.OutDir, "out", "", "output directory (default: bin/ in the module root)")
	return cmd
}
