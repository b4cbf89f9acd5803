package ceiling

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/report"
)

// Markdown writes the short summary of r.
func Markdown(w io.Writer, r *Result) error {
	ew := &report.ErrWriter{W: w}
	ew.Printf("# Execution ceiling — run %s\n\n", r.RunID)
	ew.Printf("Function timeout **%s**; job **%s** (`POST /jobs {\"seconds\":%g}`, %d steps of 100 ms). "+
		"Machine: %d CPUs, %d MiB, %s/%s.\n\n",
		r.FunctionTimeout, r.Job, r.Job.Seconds(), stepsOf(r.Job.Seconds()), r.Machine.CPUs, r.Machine.MemoryMiB, r.Machine.OS, r.Machine.Arch)
	ew.Printf("| %s |\n|%s\n", strings.Join(jobHeader, " | "), strings.Repeat("---|", len(jobHeader)))
	row := func(v deployers.Variant, what string, j Job) {
		ew.Printf("| %s |\n", strings.Join(jobRow(v, what, j), " | "))
	}
	for _, v := range r.Variants {
		if v.Short != nil {
			row(v.Variant, "within timeout", *v.Short)
		}
		row(v.Variant, "longer than timeout", v.Long)
	}
	ew.Printf("\n")
	for _, v := range r.Variants {
		if v.Variant == deployers.Lambda && v.Long.ErrorType != "" {
			ew.Printf("The function answered `%s: %s` and lost its work: it had run about %d of %d steps, none of which reached the client.\n\n",
				v.Long.ErrorType, v.Long.ErrorMessage, v.StepsUnseen, v.Long.Steps)
		}
		if v.Error != "" {
			ew.Printf("**%s failed:** %s\n\n", v.Variant, v.Error)
		}
	}
	verdict := "holds"
	if !r.Claim.Holds {
		verdict = "**does not hold**"
	}
	ew.Printf("Claim — a job longer than the function timeout fails on the function and completes on the container and the VM: %s.\n\n", verdict)
	for _, c := range r.Claim.Checks {
		mark := "ok"
		if !c.OK {
			mark = "FAILED"
		}
		ew.Printf("- %s: %s (%s)\n", mark, c.What, c.Saw)
	}
	if len(r.Leftovers) > 0 {
		ew.Printf("\n**Left after teardown:** %v — run `computeladder sweep --run-id %s`.\n", r.Leftovers, r.RunID)
	}
	return ew.Err
}

// jobHeader and jobRow are the jobs' table, which the summary and
// report.html both show: one row per variant and job.
var jobHeader = []string{"variant", "job", "status", "wall", "first line", "progress lines", "last step", "done"}

func jobRow(v deployers.Variant, what string, j Job) []string {
	status := fmt.Sprint(j.Status)
	if j.ErrorType != "" {
		status += " " + j.ErrorType
	}
	first := "none"
	if j.FirstLine > 0 {
		first = j.FirstLine.Round(time.Millisecond).String()
	}
	return []string{string(v), fmt.Sprintf("%s (%gs)", what, j.Seconds), status, j.Wall.Round(time.Millisecond).String(),
		first, fmt.Sprint(j.ProgressLines), fmt.Sprintf("%d of %d", j.LastStep, j.Steps), fmt.Sprint(j.Done)}
}
