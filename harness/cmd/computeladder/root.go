package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/labs/checkout"
	coldstart "github.com/computeladder/computeladder/labs/cold-start"
	storm "github.com/computeladder/computeladder/labs/connection-storm"
	crossover "github.com/computeladder/computeladder/labs/cost-crossover"
	ceiling "github.com/computeladder/computeladder/labs/execution-ceiling"
	"github.com/computeladder/computeladder/labs/ladder"
	localfriction "github.com/computeladder/computeladder/labs/local-friction"
	lockin "github.com/computeladder/computeladder/labs/lock-in"
	"github.com/computeladder/computeladder/labs/state"
)

// labs are the labs that have a command, each in its folder under labs/:
// a command of their own (run, cost, lockin) or a scenario.
var labs = []func() kit.Lab{
	ladder.Lab,
	coldstart.Lab,
	ceiling.Lab,
	state.Lab,
	storm.Lab,
	localfriction.Lab,
	checkout.Lab,
	crossover.Lab,
	lockin.Lab,
}

// commands are the harness's own subcommands, one constructor per file.
var commands = []func() *cobra.Command{
	newUpCmd,
	newDownCmd,
	newSweepCmd,
	newReportCmd,
	newCompareCmd,
	newSetupCmd,
	newBuildCmd,
	newDoctorCmd,
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "computeladder",
		Short: "Deploy one app as a VM, a container and a function, and measure the ladder",
		Long: `computeladder deploys one app as a microVM, a container and a function
(locally, on LocalStack or on AWS), measures them side by side, and tears
everything down; each lab of labs/ is one of its commands.

Every command that prints results takes -o table|json. Every resource it
creates carries its run id and its owner (this process): ` + "`sweep`" + ` removes what
killed runs left and leaves runs whose owner still runs.

Exit codes: 0 success; 1 a variant failed, a check failed, a scenario's
claim did not hold (its result is still written), or ` + "`up`" + `'s deployment
died; 2 bad input (an unknown command, scenario, lab, variant,
architecture or -o, a file that is not a run's results, a run id ` + "`down`" + `
finds nothing of) or a missing prerequisite (nothing was created); 130
interrupted.`,
		// Errors are printed once, by main, without the usage text: a failed
		// deployment is not a usage mistake.
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       versionString(),
	}
	root.SetVersionTemplate("computeladder {{.Version}}\n")
	scenario := &cobra.Command{
		Use:   "scenario <name>",
		Short: "Run one of the labs' scenarios (cold start, execution ceiling, state, ...)",
		Long: `Each scenario deploys what it needs locally, shows one claim of the
compute chapter happening, writes its figures to results/<run-id>/, and
tears everything down. The lab guides in labs/ explain each one.

Exit codes: 0 every claim held; 1 a variant failed or a claim did not
hold (the result is still written); 2 bad input or a missing prerequisite
(nothing was created).`,
		// A name that is no scenario is bad input (exit 2), not a
		// reason to print the help and succeed.
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			var names []string
			for _, c := range cmd.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name())
				}
			}
			return kit.Usage(fmt.Errorf("unknown scenario %q: use %s", args[0], strings.Join(names, ", ")))
		},
	}
	for _, l := range labs {
		lab := l()
		if lab.Scenario {
			scenario.AddCommand(lab.Command())
		} else {
			root.AddCommand(lab.Command())
		}
	}
	root.AddCommand(scenario)
	for _, c := range commands {
		root.AddCommand(c())
	}
	return root
}

// labSweepers are what the labs start on this machine besides deployments,
// each sweeper once: labs that start the same thing (the connection-storm
// and checkout labs' PostgreSQL servers) name the same sweeper, and sweep
// and down would otherwise list its resources twice.
func labSweepers() []kit.Sweeper {
	var out []kit.Sweeper
	seen := map[string]bool{}
	for _, l := range labs {
		for _, s := range l().Sweepers {
			if k := fmt.Sprintf("%#v", s); !seen[k] {
				seen[k] = true
				out = append(out, s)
			}
		}
	}
	return out
}
