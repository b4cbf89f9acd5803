// Package kit is what every lab shares, so that each lab's folder holds
// only what it teaches.
//
//   - Run: deploy with a guaranteed teardown — timed, nil-safe, run on
//     success, on error and after Ctrl-C with a context of its own and the
//     backend's TeardownBudget — followed by a check, asked of the
//     platforms by run id, that nothing is left (what is found is swept).
//   - Sweep and SweepOnSecondInterrupt: removing what a run left, by run id,
//     from the deployers and from any other Sweeper a lab has (the
//     connection-storm lab's PostgreSQL).
//   - The command line: the flags every lab command shares (Flags,
//     TargetFlags), usage errors and exit codes, the progress printer, the
//     run id, the artifacts (Start) and the results (Emit): a scenario's
//     <name>.json, <name>.md and its page report.html (WriteResult; the
//     page is drawn with package report's Page and chart kit).
//   - Lab: how a lab hands its command to the computeladder command.
package kit

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/targets"
)

// Lab is one lab as the command line shows it.
type Lab struct {
	// Name is the lab's folder under labs/ and its make target
	// (lab-NAME): what `computeladder setup NAME` takes.
	Name string
	// Needs is what the lab runs on this machine: `computeladder setup
	// NAME` installs or names it, and the lab checks it before it starts.
	Needs Needs
	// Command makes the lab's command.
	Command func() *cobra.Command
	// Scenario puts the command under `computeladder scenario`; else it is
	// a command of its own (run, cost, lockin).
	Scenario bool
	// Sweepers find, by run id, what the lab starts on this machine besides
	// deployments (a database server), for `computeladder sweep`.
	Sweepers []Sweeper
	// Results is the base name of a scenario's result document,
	// <Results>.json, and Report renders that document's reports
	// (<Results>.md, report.html) again beside it and prints its summary:
	// `computeladder report <Results>.json`.
	Results string
	Report  func(path string, out io.Writer) error
	// Verdict reads a scenario's result document at path and returns what
	// its command exits 1 with when a claim did not hold (nil when every
	// one held); nil for a lab that judges no claim.
	Verdict func(path string) error
}

// Needs are a lab's local prerequisites: the variants it deploys (QEMU
// for the microVM, Docker for the container and the function) and other
// programs.
type Needs struct {
	Variants []deployers.Variant
	Prereqs  []targets.Prereq
	// Optional are installed by setup like Prereqs, but Call.Check leaves
	// them to the lab, which checks them unless a flag skips what needs
	// them (PgBouncer and --no-pgbouncer).
	Optional []targets.Prereq
}
