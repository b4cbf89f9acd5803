package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/harness/results"
)

func newReportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "report <results.json>",
		Short: "Render report.md and report.html again from a results.json, and print the report",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			run, err := results.ReadFile(args[0])
			if err != nil {
				return kit.Usage(err)
			}
			if err := report.Write(filepath.Dir(args[0]), run); err != nil {
				return err
			}
			return report.Markdown(cmd.OutOrStdout(), run)
		},
	}
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
