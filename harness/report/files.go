package report

import (
	"io"

	"github.com/computeladder/computeladder/harness/results"
)

// Write writes run into dir: results.json (with its raw-sample files) and
// the two reports, report.md and report.html. It is how `run` leaves its
// results and how `report` renders them again.
func Write(dir string, run *results.Run) error {
	if _, err := results.Write(dir, run); err != nil {
		return err
	}
	for name, render := range map[string]func(io.Writer, *results.Run) error{
		"report.md": Markdown, results.ReportPage: HTML,
	} {
		if err := results.WriteFile(dir, name, func(w io.Writer) error { return render(w, run) }); err != nil {
			return err
		}
	}
	return nil
}
