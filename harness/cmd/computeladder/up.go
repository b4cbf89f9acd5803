package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

func newUpCmd() *cobra.Command {
	var f kit.TargetFlags
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
				return kit.Usage(err)
			}
			if err := f.Validate(); err != nil {
				return err
			}
			return up(cmd, &f, v)
		},
	}
	f.Register(cmd.Flags())
	return cmd
}

func up(cmd *cobra.Command, f *kit.TargetFlags, v deployers.Variant) (err error) {
	ctx := cmd.Context()
	out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := f.Confirm(cmd, []deployers.Variant{v}); err != nil {
		return err
	}
	set, err := targets.Open(ctx, f.Target, []deployers.Variant{v}, f.Options())
	if err != nil {
		return err
	}
	defer set.Close()
	dep := set.Deployers[v]
	s, err := f.Start(cmd, f.Target, []deployers.Deployer{dep})
	if err != nil {
		return err
	}
	run := kit.NewRun(s.RunID)
	defer func() {
		td := run.Finish(ctx)
		if td.Error != "" || len(td.Leftovers) > 0 {
			err = errors.Join(err, fmt.Errorf("teardown: %s (run `computeladder sweep --run-id %s`)", kit.Summary(td), s.RunID))
			return
		}
		fmt.Fprintf(stderr, "torn down in %s\n", td.Duration.Round(time.Millisecond))
	}()
	d, err := run.Deploy(ctx, dep, deployers.Spec{Artifacts: s.ByVariant[v], MemoryMB: f.MemoryMB})
	if err != nil {
		return fmt.Errorf("%s: %w", v, err)
	}
	fmt.Fprintf(stderr, "%s is up (%s): %s\n", v, dep.Info().Description, d.Phases)
	fmt.Fprintln(out, d.URL)
	fmt.Fprintf(stderr, "try: curl -s %s/whoami\nCtrl-C tears it down.\n", d.URL)
	<-ctx.Done()
	return nil
}
