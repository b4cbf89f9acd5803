package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/harness/results"
)

func newReportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "report <results.json | <lab>.json>",
		Short: "Render a run's reports again (report.md or <lab>.md, and report.html) from its results, and print the summary",
		Long: `Reads a results document and writes its reports again beside it: a
` + "`computeladder run`" + `'s results.json gives report.md and report.html; a
scenario's own document (cold-start.json, execution-ceiling.json,
state.json, storm.json) gives its .md summary and report.html.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return resultsKind(args[0])(args[0], cmd.OutOrStdout())
		},
	}
}

// resultsKind is the one place that tells which kind of results document
// path is, and returns what renders its reports again: a scenario's
// document by the name the lab gives it (<Results>.json), anything else as
// a `computeladder run` results.json (which the results package checks).
func resultsKind(path string) func(path string, out io.Writer) error {
	for _, l := range labs {
		if lab := l(); lab.Results != "" && lab.Report != nil && filepath.Base(path) == lab.Results+".json" {
			return lab.Report
		}
	}
	return reportRun
}

// reportRun renders a `computeladder run` results.json again.
func reportRun(path string, out io.Writer) error {
	run, err := results.ReadFile(path)
	if err != nil {
		return kit.Usage(err)
	}
	if err := report.Write(filepath.Dir(path), run); err != nil {
		return err
	}
	return report.Markdown(out, run)
}

func newCompareCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "compare <results.json>...",
		Short: "Compare runs: one line per run and variant with startup, cold start and warm latency",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var runs []*results.Run
			for _, p := range args {
				run, err := results.ReadFile(p)
				if err != nil {
					return kit.Usage(err)
				}
				runs = append(runs, run)
			}
			if err := report.Compare(cmd.OutOrStdout(), runs); err != nil {
				return fmt.Errorf("compare: %w", err)
			}
			return nil
		},
	}
}
