package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/harness/results"
)

func newReportCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "report <results.json | <lab>.json>",
		Short: "Render a run's reports again (report.md or <lab>.md, and report.html) from its results, and print the summary",
		Long: `Reads a results document and writes its reports again beside it: a
` + "`computeladder run`" + `'s results.json gives report.md and report.html; a
scenario's own document (cold-start.json, execution-ceiling.json,
state.json, storm.json, local-friction.json, checkout.json — or any name,
when its "lab" field names the lab) gives its .md summary and report.html.
It prints the summary (-o json: the results document). A file that is not
a run's results — any other JSON, a file without a run id or variants — is
refused (exit 2) and nothing is written.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := kit.ValidOutput(output); err != nil {
				return err
			}
			return resultsKind(args[0])(args[0], output, cmd.OutOrStdout())
		},
	}
	kit.RegisterOutput(cmd.Flags(), &output, "")
	return cmd
}

// resultsKind is the one place that tells which kind of results document
// path is, and returns what renders its reports again: a scenario's
// document by the lab its "lab" field names (whatever the file is called:
// the checkout lab's reference is results.json), else by the name the lab
// gives it (<Results>.json); anything else as a `computeladder run`
// results.json (which the results package checks).
func resultsKind(path string) func(path, output string, out io.Writer) error {
	var doc struct {
		Lab string `json:"lab"`
	}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &doc) // unreadable or not JSON: the renderer says so
	}
	var byName func(path string, out io.Writer) error
	for _, l := range labs {
		lab := l()
		if lab.Results == "" || lab.Report == nil {
			continue
		}
		if doc.Lab == lab.Results {
			return labReport(lab.Report)
		}
		if byName == nil && filepath.Base(path) == lab.Results+".json" {
			byName = lab.Report
		}
	}
	if byName != nil {
		return labReport(byName)
	}
	return reportRun
}

// labReport renders a lab's document again with report and prints its
// summary, or with -o json the document as it is.
func labReport(report func(path string, out io.Writer) error) func(path, output string, out io.Writer) error {
	return func(path, output string, out io.Writer) error {
		if output != kit.OutputJSON {
			return report(path, out)
		}
		if err := report(path, io.Discard); err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	}
}

// reportRun renders a `computeladder run` results.json again.
func reportRun(path, output string, out io.Writer) error {
	run, err := results.ReadFile(path)
	if err != nil {
		return kit.Usage(err)
	}
	if err := report.Write(filepath.Dir(path), run); err != nil {
		return err
	}
	return kit.PrintOutput(out, output, run.Document(), func(w io.Writer) error { return report.Markdown(w, run) })
}

func newCompareCmd() *cobra.Command {
	var format, output, htmlPath string
	cmd := &cobra.Command{
		Use:   "compare <results.json|folder>...",
		Short: "Compare runs — a class's — one line per run and variant; --html writes the class page",
		Long: `Compare reads many results.json files (a folder is searched for them)
and prints one line per run and variant: the run's label (run --label),
target, machine, CPU model, Docker engine version, the microVM's
accelerator (KVM, HVF or TCG), startup, cold start and warm latency.
Only the documents are read, not the raw-sample files beside them.
--format md|csv|json chooses the table's form; -o table|json, the flag
every command that prints results takes, is the same as --format md|json.

A file that cannot be read (truncated, not JSON, not a results.json) is
reported on stderr and skipped; the others are still compared. A run id
read twice is counted once, and the duplicate reported.

--html FILE also writes the class page: one self-contained HTML page
with, per variant, the spread of startup, cold start and warm p50 across
the runs, and the outliers named.

` + wrap(report.OutlierRule, 72) + `

Exit codes: 0 every file compared, 1 some files skipped (the others
compared, the table and the page written), 2 bad flags or no file could
be read.`,
		Example: `  computeladder compare results/*/results.json
  computeladder compare class/ --format csv > class.csv
  computeladder compare class/ --html class.html`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := kit.ValidOutput(output); err != nil {
				return err
			}
			if cmd.Flags().Changed("output") || cmd.Flags().Changed("json") {
				if cmd.Flags().Changed("format") {
					return kit.Usage(fmt.Errorf("-o and --format both given: use one"))
				}
				format = map[string]string{kit.OutputTable: "md", kit.OutputJSON: "json"}[output]
			}
			f, err := report.ParseFormat(format)
			if err != nil {
				return kit.Usage(fmt.Errorf("--%w", err))
			}
			class := results.ReadClass(args)
			stderr := cmd.ErrOrStderr()
			for _, s := range class.Skipped {
				fmt.Fprintf(stderr, "computeladder: compare: skipped %s: %s\n", s.Path, oneLine(s.Err))
			}
			for _, d := range class.Duplicates {
				other := ""
				if d.OtherLabel {
					other = ", under another label"
				}
				fmt.Fprintf(stderr, "computeladder: compare: %s: run %s already read from %s%s: counted once\n", d.Path, d.RunID, d.First, other)
			}
			if len(class.Runs) == 0 {
				return kit.Usage(fmt.Errorf("compare: none of the %d files could be read", len(class.Skipped)))
			}
			if err := report.CompareClass(cmd.OutOrStdout(), f, class); err != nil {
				return fmt.Errorf("compare: %w", err)
			}
			if htmlPath != "" {
				if err := results.WriteFile(filepath.Dir(htmlPath), filepath.Base(htmlPath), func(w io.Writer) error {
					return report.ClassHTML(w, class)
				}); err != nil {
					return fmt.Errorf("compare: %w", err)
				}
				fmt.Fprintf(stderr, "computeladder: compare: class page: %s\n", htmlPath)
			}
			if n := len(class.Skipped); n > 0 {
				return fmt.Errorf("compare: %d file(s) skipped (listed above); the other %d run(s) compared", n, len(class.Runs))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "md", "table format: md (Markdown; also \"table\"), csv (medians in milliseconds, for a spreadsheet) or json")
	cmd.Flags().StringVar(&htmlPath, "html", "", "also write the class page to this file: per variant, the spread of each figure across the runs, outliers named")
	kit.RegisterOutput(cmd.Flags(), &output, "the table's form, as --format: table (md) or json")
	return cmd
}

// wrap breaks s into lines of at most width characters, at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		l := len([]rune(w))
		switch {
		case i == 0:
		case n+1+l > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += l
	}
	return b.String()
}

// oneLine keeps an error message on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
