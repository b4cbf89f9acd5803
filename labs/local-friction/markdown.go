package localfriction

import (
	"fmt"
	"io"
	"strings"

	"github.com/computeladder/computeladder/harness/results"
)

// Markdown writes the run's report: one section per difference, what
// Lambda does (with its sources), what this run saw, what the project
// does, and the command to see it yourself; then the claims.
func Markdown(w io.Writer, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Local-development friction: run %s\n\n", r.RunID)
	fmt.Fprintf(&b, "Local function (the Lambda Runtime Interface Emulator in Docker, behind the project's Function URL gateway), %d MB, timeout %s; %s.\n\n", r.MemoryMB, r.Timeout, r.Date)
	b.WriteString("| topic | Lambda | this run (local) | holds |\n|---|---|---|---|\n")
	for _, row := range r.Rows {
		c := r.Claims.Get(row.Claim)
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row.Topic, cell(row.Lambda), cell(c.Detail), yes(c.Holds))
	}
	b.WriteString("\n## What the project does, and how to see it yourself\n\n")
	b.WriteString(Setup)
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "### %s\n\n%s\n\n- try: `%s`\n", row.Topic, row.Project, row.Try)
		for _, s := range row.Sources {
			fmt.Fprintf(&b, "- source: %s\n", s)
		}
		b.WriteString("\n")
	}
	results.WriteClosing(&b, r.Claims, r.Teardown, len(r.Leftovers), r.TeardownError, r.RunID)
	_, err := io.WriteString(w, b.String())
	return err
}

func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}
