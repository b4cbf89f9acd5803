package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

func newSetupCmd() *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "setup [LAB|vm|container|lambda|all]",
		Short: "Check what a lab needs on this machine, install what it can (QEMU, PostgreSQL, PgBouncer), name the rest",
		Long: `Setup checks what a lab needs here and says what it found: which
platform this is (Linux, macOS, or Linux inside WSL2); for a lab that
deploys the microVM, the QEMU which runs this machine's guest
(qemu-system-x86_64 on x86-64, qemu-system-aarch64 on arm64) and the
accelerator the guest gets (KVM on Linux, HVF on macOS, else TCG); for a
lab that deploys a container or a function, the Docker engine, found as
the Docker CLI finds it — DOCKER_HOST, the current Docker context, then
the sockets of Docker Engine, rootless Docker, Docker Desktop, Colima,
OrbStack and Rancher Desktop; and the other programs the lab runs (the
connection-storm lab's PostgreSQL server and PgBouncer).

What is missing it installs on Debian and Ubuntu (also inside WSL2) with
apt-get, as root or with password-less sudo (qemu-system-x86 or
qemu-system-arm, postgresql, pgbouncer); elsewhere it names the exact
command (macOS: brew install qemu, postgresql@17, pgbouncer). It never
installs Docker: it names it. Whatever is still missing stops it with
exit 2, as it stops the lab itself.

LAB is a lab's name (its folder under labs/, its make target lab-LAB);
vm, container and lambda check one variant; all (the default) is the
ladder lab's three variants.

With --target localstack or aws the variants run in the cloud: the
microVM and the function need nothing here, the container needs the
Docker engine to build its image (the image is pushed to the target's
ECR). ` + "`computeladder doctor --target aws`" + ` checks the account.`,
		Example: `  computeladder setup connection-storm
  computeladder setup vm
  computeladder setup all --target aws`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return setupNames(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			which := "all"
			if len(args) == 1 {
				which = args[0]
			}
			if err := kit.ValidTarget(target); err != nil {
				return err
			}
			needs, err := setupNeeds(which)
			if err != nil {
				return err
			}
			if target != "local" {
				needs = cloudNeeds(needs)
			}
			return targets.Setup(cmd.Context(), needs.Variants, append(slices.Clip(needs.Prereqs), needs.Optional...), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&target, "target", "local", "where the lab's variants run: local, localstack or aws")
	return cmd
}

// cloudNeeds is what this machine needs of needs when the variants run in
// the cloud: only the container's, whose image the Docker engine builds.
func cloudNeeds(needs kit.Needs) kit.Needs {
	var out kit.Needs
	if slices.Contains(needs.Variants, deployers.Container) {
		out.Variants = []deployers.Variant{deployers.Container}
	}
	return out
}

// setupNeeds is what `setup which` checks: a variant's, every variant's
// (all), or a lab's needs.
func setupNeeds(which string) (kit.Needs, error) {
	if which == "all" {
		return kit.Needs{Variants: deployers.Variants}, nil
	}
	if v, err := deployers.ParseVariant(which); err == nil {
		return kit.Needs{Variants: []deployers.Variant{v}}, nil
	}
	for _, l := range labs {
		if lab := l(); lab.Name == which {
			return lab.Needs, nil
		}
	}
	return kit.Needs{}, kit.Usage(fmt.Errorf("unknown lab %q: use %s", which, strings.Join(setupNames(), ", ")))
}

func setupNames() []string {
	names := []string{"all", "vm", "container", "lambda"}
	for _, l := range labs {
		names = append(names, l().Name)
	}
	return names
}
