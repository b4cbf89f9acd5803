package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/targets"
)

func newUpCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "up <vm|container|lambda>",
		Short: "Deploy one variant and keep it running for curl until Ctrl-C, then tear down",
		Example: `  computeladder up container
  curl -s localhost:PORT/whoami`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"vm", "container", "lambda"},
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := deployers.ParseVariant(args[0])
			if err != nil {
				return usagef(err)
			}
			if err := f.validate(); err != nil {
				return err
			}
			return up(cmd, &f, v)
		},
	}
	f.register(cmd, false)
	return cmd
}

func up(cmd *cobra.Command, f *runFlags, v deployers.Variant) (err error) {
	ctx := cmd.Context()
	out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := f.confirm(cmd, []deployers.Variant{v}); err != nil {
		return err
	}
	set, err := targets.Open(ctx, f.target, []deployers.Variant{v}, f.options())
	if err != nil {
		return err
	}
	defer set.Close()
	arches, err := targets.Arches(ctx, f.target, []deployers.Variant{v}, f.arch)
	if err != nil {
		return err
	}
	arts, err := buildArtifacts(ctx, arches)
	if err != nil {
		return err
	}
	runID := f.runID
	if runID == "" {
		runID = newRunID()
	}
	forceSweep(set, runID, stderr)
	dep := set.Deployers[v]
	d, err := dep.Deploy(ctx, deployers.Spec{RunID: runID, Artifacts: arts[v], MemoryMB: f.memoryMB})
	defer func() {
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(2*time.Minute, dep.Info().TeardownBudget))
		defer cancel()
		start := time.Now()
		if terr := dep.Teardown(tctx, d); terr != nil {
			err = fmt.Errorf("teardown: %w (run `computeladder sweep --run-id %s`)", terr, runID)
			return
		}
		fmt.Fprintf(stderr, "torn down in %s\n", time.Since(start).Round(time.Millisecond))
	}()
	if err != nil {
		return fmt.Errorf("deploy %s: %w", v, err)
	}
	fmt.Fprintf(stderr, "%s is up (%s): %s\n", v, dep.Info().Description, d.Phases)
	fmt.Fprintln(out, d.URL)
	fmt.Fprintf(stderr, "try: curl -s %s/whoami\nCtrl-C tears it down.\n", d.URL)
	<-ctx.Done()
	return nil
}
