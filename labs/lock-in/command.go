package lockin

import (
	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/harness/kit"
)

// Lab is the lock-in lab's command, `computeladder lockin`.
func Lab() kit.Lab { return kit.Lab{Command: Command} }

// Command is `computeladder lockin`: the table of Analyze for this module.
func Command() *cobra.Command {
	return &cobra.Command{
		Use:   "lockin",
		Short: "Show the lines of code and platform imports of the portable app and each adapter",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := artifact.ModuleRoot(cmd.Context(), "")
			if err != nil {
				return err
			}
			comps, err := Analyze(root)
			if err != nil {
				return err
			}
			return Write(cmd.OutOrStdout(), comps)
		},
	}
}
