package main

import "github.com/spf13/cobra"

// scenarios are the labs beyond `run`: one constructor per file, each a
// subcommand of `computeladder scenario`.
var scenarios = []func() *cobra.Command{
	newScenarioColdStartCmd,
	newScenarioCeilingCmd,
	newScenarioStateCmd,
	newScenarioStormCmd,
}

func newScenarioCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario <name>",
		Short: "Run one of the labs' scenarios (cold start, execution ceiling, state, ...)",
		Long: `Each scenario deploys what it needs locally, shows one claim of the
compute chapter happening, writes its figures to results/<run-id>/, and
tears everything down. The lab guides in labs/ explain each one.`,
	}
	for _, c := range scenarios {
		cmd.AddCommand(c())
	}
	return cmd
}
