package lockin

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/harness/kit"
)

// Lab is the lock-in lab's command, `computeladder lockin`.
func Lab() kit.Lab { return kit.Lab{Name: "lock-in", Command: Command} }

// Command is `computeladder lockin`: the table of Analyze for this module.
func Command() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "lockin",
		Short: "Show the lines of code and platform imports of the portable app and each adapter",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := kit.ValidOutput(output); err != nil {
				return err
			}
			root, err := artifact.ModuleRoot(cmd.Context(), "")
			if err != nil {
				return err
			}
			comps, err := Analyze(root)
			if err != nil {
				return err
			}
			return kit.PrintOutput(cmd.OutOrStdout(), output, comps, func(w io.Writer) error { return Write(w, comps) })
		},
	}
	kit.RegisterOutput(cmd.Flags(), &output, "")
	return cmd
}
