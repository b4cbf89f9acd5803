package ceiling

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/computeladder/computeladder/harness/report"
)

// HTML writes the run's page, report.html: when each job's first progress
// line and its end reached the client against the function timeout, the
// steps each job had against the last one the client saw, the table and
// the claim's checks.
func HTML(w io.Writer, r *Result) error {
	var timing, steps []report.BarGroup
	var rows [][]string
	longest := max(r.Job, r.FunctionTimeout)
	mostSteps := 1.0
	add := func(v Variant, what string, j Job) {
		label := fmt.Sprintf("%s, %gs job", v.Variant, j.Seconds)
		first := report.Bar{Value: float64(j.FirstLine), Missing: j.FirstLine <= 0}
		timing = append(timing, report.BarGroup{Label: label, Bars: []report.Bar{first, {Value: float64(j.Wall)}}})
		steps = append(steps, report.BarGroup{Label: label, Bars: []report.Bar{{Value: float64(j.Steps)}, {Value: float64(j.LastStep)}, {Value: float64(j.ProgressLines)}}})
		longest = max(longest, j.Wall)
		mostSteps = max(mostSteps, float64(j.Steps), float64(j.ProgressLines))
		rows = append(rows, jobRow(v.Variant, what, j))
	}
	for _, v := range r.Variants {
		if v.Short != nil {
			add(v, "within timeout", *v.Short)
		}
		add(v, "longer than timeout", v.Long)
	}
	var notes []template.HTML
	for _, v := range r.Variants {
		if v.Long.ErrorType != "" && v.StepsUnseen > 0 {
			answer := v.Long.ErrorType
			if v.Long.ErrorMessage != "" {
				answer += ": " + v.Long.ErrorMessage
			}
			notes = append(notes, report.Para(fmt.Sprintf("%s answered %s and lost its work: it had run about %d of %d steps, none of which reached the client.",
				v.Variant, answer, v.StepsUnseen, v.Long.Steps)))
		}
		if v.Error != "" {
			notes = append(notes, report.ParaClass("err", fmt.Sprintf("%s failed: %s", v.Variant, v.Error)))
		}
	}
	for _, e := range r.Errors {
		notes = append(notes, report.ParaClass("err", e))
	}
	verdict, class := "holds", "ok"
	if !r.Claim.Holds {
		verdict, class = "does not hold", "err"
	}
	var checks strings.Builder
	checks.WriteString(`<ul class="claims">`)
	for _, c := range r.Claim.Checks {
		mark, cl := "ok", "ok"
		if !c.OK {
			mark, cl = "FAILED", "err"
		}
		fmt.Fprintf(&checks, `<li><span class="%s">%s</span>: %s (%s)</li>`, cl, mark, template.HTMLEscapeString(c.What), template.HTMLEscapeString(c.Saw))
	}
	checks.WriteString("</ul>")
	claim := []template.HTML{
		report.ParaClass(class, "Claim — a job longer than the function timeout fails on the function and completes on the container and the VM: "+verdict+"."),
		template.HTML(checks.String()),
	}
	if len(r.Leftovers) > 0 {
		claim = append(claim, report.ParaClass("err", fmt.Sprintf("Left after teardown: %s — run computeladder sweep --run-id %s.", strings.Join(r.Leftovers, ", "), r.RunID)))
	}
	timeout := fmt.Sprintf("function timeout %s", r.FunctionTimeout)
	p := report.Page{
		Title: "Execution ceiling: run " + r.RunID,
		Lead: []string{fmt.Sprintf("Function timeout %s; job %s (POST /jobs {\"seconds\":%g}, %d steps of 100 ms). Machine: %d CPUs, %d MiB, %s/%s.",
			r.FunctionTimeout, r.Job, r.Job.Seconds(), stepsOf(r.Job.Seconds()), r.Machine.CPUs, r.Machine.MemoryMiB, r.Machine.OS, r.Machine.Arch)},
		Sections: []report.Section{
			{Heading: "When the answer came", Blocks: append([]template.HTML{report.Figure(report.BarChart{
				ID: "timing", Label: "first progress line and end of each job",
				X:      report.Duration("time since the request was sent", 0, longest, false),
				Series: []string{"first progress line reached the client", "answer ended"},
				Groups: timing, ValueLabels: true,
				Markers: []report.Marker{{Value: float64(r.FunctionTimeout), Label: timeout}},
			}.SVG(), "For each variant and job: when the first NDJSON progress line reached the client (no bar: none did) and when the answer ended, against the function's timeout. "+
				"The container and the VM stream a line every 100 ms and run past the timeout; the function's buffered answer brings its lines only at its end, and a job longer than the timeout brings none.")}, notes...)},
			{Heading: "What reached the client", Blocks: []template.HTML{report.Figure(report.BarChart{
				ID: "steps", Label: "steps of each job and what the client saw",
				X:      report.Count("steps", mostSteps),
				Series: []string{"steps of the job", "last step the client saw", "progress lines received"},
				Groups: steps, ValueLabels: true,
			}.SVG(), "The job's steps against the last step a progress line reported and the number of lines received: the function's long job was stopped at its timeout, and the steps it had run never reached the client."),
				report.Table("jobs", jobHeader, rows)}},
			{Heading: "Claim", Blocks: claim},
		},
	}
	return p.Write(w)
}
