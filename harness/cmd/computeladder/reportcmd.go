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
	var output string
	cmd := &cobra.Command{
		Use:   "report <results.json>",
		Short: "Render report.md and report.html again from a results.json, and print the report",
		Long: `Report reads a run's results.json (and the samples files beside it),
writes report.md and report.html beside it again, and prints the report
(-o json: the results document). A file that is not a run's results — a
scenario's own .json, any other JSON — is refused (exit 2) and nothing is
written.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := kit.ValidOutput(output); err != nil {
				return err
			}
			run, err := results.ReadFile(args[0])
			if err != nil {
				return kit.Usage(err)
			}
			if err := report.Write(filepath.Dir(args[0]), run); err != nil {
				return err
			}
			return kit.PrintOutput(cmd.OutOrStdout(), output, run.Document(), func(w io.Writer) error { return report.Markdown(w, run) })
		},
	}
	kit.RegisterOutput(cmd.Flags(), &output, "")
	return cmd
}

func newCompareCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "compare <results.json>...",
		Short: "Compare runs: one line per run and variant with startup, cold start and warm latency",
		Long: `Compare reads runs' results.json files and prints one line per run and
variant; -o json prints the runs' results documents instead, as a JSON
array in the order given.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := kit.ValidOutput(output); err != nil {
				return err
			}
			var runs []*results.Run
			for _, p := range args {
				run, err := results.ReadFile(p)
				if err != nil {
					return kit.Usage(err)
				}
				runs = append(runs, run)
			}
			docs := make([]*results.Run, len(runs))
			for i, r := range runs {
				docs[i] = r.Document()
			}
			if err := kit.PrintOutput(cmd.OutOrStdout(), output, docs, func(w io.Writer) error { return report.Compare(w, runs) }); err != nil {
				return fmt.Errorf("compare: %w", err)
			}
			return nil
		},
	}
	kit.RegisterOutput(cmd.Flags(), &output, "")
	return cmd
}
