package main

import (
	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers/artifact"
	lockin "github.com/computeladder/computeladder/labs/lock-in"
)

func newLockinCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lockin",
		Short: "Show the lines of code and platform imports of the portable app and each adapter",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := artifact.ModuleRoot(cmd.Context(), "")
			if err != nil {
				return err
			}
			comps, err := lockin.Analyze(root)
			if err != nil {
				return err
			}
			return lockin.Write(cmd.OutOrStdout(), comps)
		},
	}
}
