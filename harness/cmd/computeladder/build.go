package main

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/deployers/qemu"
	"github.com/computeladder/computeladder/harness/targets"
)

// archHelp is the help of every --arch that picks what the artifacts are
// built for.
const archHelp = "architecture to build for and run: amd64 or arm64 (default: what runs natively — this machine's for the local microVM, the Docker engine's for containers and functions)"

// accelHelp is the help of every --accel.
const accelHelp = "microVM accelerator: auto (KVM on Linux or HVF on macOS if it really boots a guest of this machine's architecture, else TCG), kvm, hvf or tcg"

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
				return usagef(fmt.Errorf("--arch: %w", err))
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

// validArch checks an --arch flag ("" is the native default).
func validArch(arch string) error {
	if arch == "" {
		return nil
	}
	if _, err := targets.ParseArch(arch); err != nil {
		return usagef(fmt.Errorf("--arch: %w", err))
	}
	return nil
}

// validAccel checks an --accel flag before anything is built: a hardware
// accelerator must be the one this machine offers for the guest (arch, ""
// for this machine's).
func validAccel(accel, arch string) error {
	a, err := qemu.ParseAccel(accel)
	if err != nil {
		return usagef(fmt.Errorf("--accel: %w", err))
	}
	if a == qemu.AccelAuto || a == qemu.AccelTCG {
		return nil
	}
	guest := runtime.GOARCH
	if arch != "" {
		guest, _ = targets.ParseArch(arch)
	}
	native, why := qemu.NativeAccel(runtime.GOOS, runtime.GOARCH, guest)
	if native == a {
		return nil
	}
	if native != "" {
		why = fmt.Sprintf("this machine offers %s, not %s", native.Label(), a.Label())
	}
	return usagef(fmt.Errorf("--accel %s: %s: use auto or tcg", a, why))
}

// buildArtifacts builds the artifacts of each architecture that arches
// names, once per architecture, and returns them by variant.
func buildArtifacts(ctx context.Context, arches map[deployers.Variant]string) (map[deployers.Variant]*artifact.Set, error) {
	byArch := map[string]*artifact.Set{}
	out := map[deployers.Variant]*artifact.Set{}
	for _, v := range deployers.Variants {
		a, ok := arches[v]
		if !ok {
			continue
		}
		if byArch[a] == nil {
			set, err := artifact.Build(ctx, artifact.Options{Arch: a})
			if err != nil {
				return nil, fmt.Errorf("build (%s): %w", a, err)
			}
			byArch[a] = set
		}
		out[v] = byArch[a]
	}
	return out, nil
}

// describeArches says what each variant is built for, e.g. "linux/arm64"
// or "linux/arm64 (vm), linux/amd64 (container, lambda)".
func describeArches(arches map[deployers.Variant]string) string {
	groups := map[string][]string{}
	for _, v := range deployers.Variants {
		if a, ok := arches[v]; ok {
			groups[a] = append(groups[a], string(v))
		}
	}
	if len(groups) == 1 {
		for a := range groups {
			return "linux/" + a
		}
	}
	var parts []string
	for a, vs := range groups {
		parts = append(parts, fmt.Sprintf("linux/%s (%s)", a, strings.Join(vs, ", ")))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
