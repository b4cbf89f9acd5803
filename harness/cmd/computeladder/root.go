package main

import "github.com/spf13/cobra"

// commands are the subcommands, one constructor per file.
var commands = []func() *cobra.Command{
	newRunCmd,
	newUpCmd,
	newSweepCmd,
	newReportCmd,
	newCompareCmd,
	newSetupCmd,
	newScenarioCmd,
	newBuildCmd,
	newLockinCmd,
	newCostCmd,
	newDoctorCmd,
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "computeladder",
		Short: "Deploy one app as a VM, a container and a function, and measure the ladder",
		// Errors are printed once, by main, without the usage text: a failed
		// deployment is not a usage mistake.
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	for _, c := range commands {
		root.AddCommand(c())
	}
	return root
}
