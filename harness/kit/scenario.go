package kit

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/results"
)

// Scenario is a lab's command under `computeladder scenario`, R its
// result document. The kit makes the command: the flags every lab shares
// and --json and --out beside the lab's own, their check, the session
// (artifacts, run id, the second Ctrl-C's sweep) and, once Run returns,
// the result written to --out/<run-id>/<Results>.json and .md and printed.
type Scenario[R any] struct {
	Use, Short, Long, Example string
	// Results names the result's files: Results.json and Results.md.
	Results string
	// FlagOptions tune the shared flags (WithAccel, WithArchHelp).
	FlagOptions []FlagOption
	// Flags registers the lab's own flags.
	Flags func(fl *pflag.FlagSet)
	// Run checks the lab's own flags (Usage errors), opens its deployers
	// through harness/targets, calls c.Start with them and runs the lab. A
	// result that is not nil is written, also with an error.
	Run func(c *Call) (*R, error)
	// Markdown writes the result's summary.
	Markdown func(io.Writer, *R) error
	// Verdict, when set, turns a result whose claim did not hold into an
	// error (exit code 1).
	Verdict func(*R) error
	// Sweepers: see Lab.
	Sweepers []Sweeper
	// Needs: see Lab. Run checks them (targets.CheckLocal, CheckPrereqs).
	Needs Needs
}

// Call is one run of a Scenario's command.
type Call struct {
	Cmd     *cobra.Command
	Flags   *Flags
	session *Session
}

// Start is Flags.StartLocal for this call: the session the result is
// written for.
func (c *Call) Start(deps []deployers.Deployer, extra ...Sweeper) (*Session, error) {
	s, err := c.Flags.StartLocal(c.Cmd, deps, extra...)
	c.session = s
	return s, err
}

// Lab is the scenario as the computeladder command lists it.
func (sc Scenario[R]) Lab() Lab {
	return Lab{Name: sc.Use, Command: sc.command, Scenario: true, Sweepers: sc.Sweepers, Needs: sc.Needs}
}

func (sc Scenario[R]) command() *cobra.Command {
	var f Flags
	cmd := &cobra.Command{Use: sc.Use, Short: sc.Short, Long: sc.Long, Example: sc.Example, Args: cobra.NoArgs}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := f.Validate(); err != nil {
			return err
		}
		c := &Call{Cmd: cmd, Flags: &f}
		res, err := sc.Run(c)
		if c.session == nil {
			return err // nothing started, nothing to write
		}
		write := func(dir string, r *R) (string, error) {
			return results.WriteScenario(dir, sc.Results, r, func(w io.Writer) error { return sc.Markdown(w, r) })
		}
		err = Emit(c.session, res, err, write, sc.Markdown)
		if err == nil && res != nil && sc.Verdict != nil {
			err = sc.Verdict(res)
		}
		return err
	}
	opts := append([]FlagOption{WithResults(fmt.Sprintf("%s.json", sc.Results))}, sc.FlagOptions...)
	f.Register(cmd.Flags(), opts...)
	if sc.Flags != nil {
		sc.Flags(cmd.Flags())
	}
	return cmd
}
