package report

import (
	"io"

	"github.com/computeladder/computeladder/harness/results"
)

// Compare writes a Markdown table with one line per run and variant, so
// that runs on different machines, targets or settings sit side by side.
// Percentiles and schedules follow the reports' rules (warm.go).
func Compare(w io.Writer, runs []*results.Run) error {
	ew := &errWriter{w: w}
	ew.printf("| run | target | machine | variant | startup | cold start | warm p50 | warm p99 | warm requests |\n")
	ew.printf("|---|---|---|---|---|---|---|---|---|\n")
	for _, run := range runs {
		for _, r := range rows(run) {
			ew.printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", run.RunID, run.Target, mdEscape(machine(run.Machine)),
				r.Variant, r.Startup, r.ColdStart, r.WarmP50, r.WarmP99, mdEscape(r.WarmRequests))
		}
	}
	return ew.err
}
