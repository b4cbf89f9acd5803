package kit

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/results"
	"github.com/computeladder/computeladder/harness/targets"
)

// Scenario is a lab's command under `computeladder scenario`, R its
// result document (with its run id: *R has ID, as results.Header gives
// it). The kit makes the command: the flags every lab shares and -o and
// --out beside the lab's own, their check, the session
// (artifacts, run id, the second Ctrl-C's sweep) and, once Run returns,
// the result written to --out/<run-id>/<Results>.json and .md, its page
// report.html (when HTML is set), and printed. `computeladder report
// <Results>.json` renders the .md and report.html again from the JSON.
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
	// HTML writes the result's page, report.html: a report.Page built
	// with the report package's chart kit (nil: no page).
	HTML func(io.Writer, *R) error
	// Verdict turns a result whose claim did not hold into an error (exit
	// code 1): every scenario sets it, most as results.Claims.Verdict.
	Verdict func(*R) error
	// Sweepers: see Lab.
	Sweepers []Sweeper
	// Needs: see Lab. Run checks them with Call.Check once its flags are
	// valid.
	Needs Needs
}

// Call is one run of a Scenario's command.
type Call struct {
	Cmd     *cobra.Command
	Flags   *Flags
	session *Session
	lab     string
	needs   Needs
}

// Check checks that this machine has what the lab needs (its Needs but
// the optional ones): the backends of its variants (targets.CheckLocal)
// and its programs (targets.CheckPrereqs). What is missing is a
// targets.PrereqError that says how to install it (exit code 2).
func (c *Call) Check() error {
	if err := targets.CheckLocal(c.Cmd.Context(), c.needs.Variants); err != nil {
		return err
	}
	return targets.CheckPrereqs(c.lab, c.needs.Prereqs...)
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
	l := Lab{Name: sc.Use, Command: sc.command, Scenario: true, Sweepers: sc.Sweepers, Needs: sc.Needs, Results: sc.Results, Report: sc.report}
	if sc.Verdict != nil {
		l.Verdict = sc.verdict
	}
	return l
}

// WriteResult writes a lab's result r into dir: base.json, then its
// reports (WriteReports). It returns the JSON file's path.
func WriteResult[R any](dir, base string, r *R, markdown, html func(io.Writer, *R) error) (string, error) {
	path, err := results.WriteJSON(dir, base+".json", r)
	if err != nil {
		return "", err
	}
	return path, WriteReports(dir, base, r, markdown, html)
}

// WriteReports writes r's reports into dir: base.md with markdown and,
// when html is not nil, report.html (results.ReportPage).
func WriteReports[R any](dir, base string, r *R, markdown, html func(io.Writer, *R) error) error {
	if err := results.WriteFile(dir, base+".md", func(w io.Writer) error { return markdown(w, r) }); err != nil {
		return err
	}
	if html == nil {
		return nil
	}
	return results.WriteFile(dir, results.ReportPage, func(w io.Writer) error { return html(w, r) })
}

// identified is a result that knows its run id: a lab's Result (*R) embeds
// results.Header, or has an ID method of its own.
type identified interface{ ID() string }

// read decodes the result document at path. A file that is not such a
// document is a usage error.
func (sc Scenario[R]) read(path string) (*R, error) {
	var r R
	// Whether *R tells its run id is the lab's type, not the file: a lab
	// bug (exit 1) is reported as such before the file is looked at.
	id, ok := any(&r).(identified)
	if !ok {
		return nil, fmt.Errorf("%s: %T has no ID method: it cannot tell a result from other JSON", sc.Use, &r)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, Usage(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, Usage(fmt.Errorf("%s: not a %s result: %w", path, sc.Use, err))
	}
	if id.ID() == "" {
		return nil, Usage(fmt.Errorf("%s: not a %s result: it has no run_id", path, sc.Use))
	}
	return &r, nil
}

// report renders the reports of the result document at path again, beside
// it, and prints its summary to out. A file that is not such a document is
// a usage error.
func (sc Scenario[R]) report(path string, out io.Writer) error {
	r, err := sc.read(path)
	if err != nil {
		return err
	}
	if err := WriteReports(filepath.Dir(path), sc.Results, r, sc.Markdown, sc.HTML); err != nil {
		return err
	}
	return sc.Markdown(out, r)
}

// verdict is the Verdict of the result document at path.
func (sc Scenario[R]) verdict(path string) error {
	r, err := sc.read(path)
	if err != nil {
		return err
	}
	return sc.Verdict(r)
}

func (sc Scenario[R]) command() *cobra.Command {
	var f Flags
	cmd := &cobra.Command{Use: sc.Use, Short: sc.Short, Long: sc.Long, Example: sc.Example, Args: cobra.NoArgs}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := f.Validate(); err != nil {
			return err
		}
		c := &Call{Cmd: cmd, Flags: &f, lab: sc.Use, needs: sc.Needs}
		res, err := sc.Run(c)
		if c.session == nil {
			return err // nothing started, nothing to write
		}
		write := func(dir string, r *R) (string, error) {
			return WriteResult(dir, sc.Results, r, sc.Markdown, sc.HTML)
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
