package localfriction

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/computeladder/computeladder/harness/report"
)

// HTML writes the run's page, report.html: the init as the REPORT line,
// the emulator and the gateway each saw it (on a log axis), the REPORT
// line's Max Memory Used beside the container's measured memory, then
// every difference (what Lambda does, what this run saw, what the project
// does, whether the claim held), the commands to see each, and the claims.
func HTML(w io.Writer, r *Result) error {
	p := report.Page{
		Title: "Local-development friction: run " + r.RunID,
		Lead: []string{
			fmt.Sprintf("Local function (the Lambda Runtime Interface Emulator in Docker, behind the project's Function URL gateway), %d MB, timeout %s; %s.", r.MemoryMB, r.Timeout, r.Date),
			fmt.Sprintf("%d of %d claims held.", held(r), len(r.Claims)),
		},
		Sections: []report.Section{
			{Heading: "The init, as each side saw it", Blocks: []template.HTML{initFigure(r)}},
			{Heading: "Memory: reported and measured", Blocks: []template.HTML{memoryFigure(r)}},
			{Heading: "Each difference", Blocks: []template.HTML{differences(r)}},
			{Heading: "How to see it yourself", Blocks: []template.HTML{
				setupHTML(),
				tries(r),
			}},
			{Heading: "Claims", Blocks: []template.HTML{report.ClaimsList(r.Claims), report.TeardownLine(r.FlatTeardown, r.RunID)}},
		},
	}
	return p.Write(w)
}

// initFigure compares the REPORT line's Init Duration with the emulator's
// INIT REPORT, the first REPORT's Duration and what the gateway measured,
// on a log axis: the REPORT figure is about a thousandth of the others.
func initFigure(r *Result) template.HTML {
	in := r.Init
	type bar struct {
		label string
		d     time.Duration
	}
	bars := []bar{
		{"REPORT Init Duration", in.ReportInit},
		{"emulator INIT REPORT", in.InitReport},
		{"first REPORT Duration", in.FirstDuration},
		{"first invoke (gateway)", in.FirstInvoke},
		{"warm invoke (emulator)", in.Warm},
	}
	lo, hi := time.Duration(0), time.Duration(0)
	var groups []report.BarGroup
	for _, b := range bars {
		if b.d > 0 && (lo == 0 || b.d < lo) {
			lo = b.d
		}
		hi = max(hi, b.d)
		groups = append(groups, report.BarGroup{Label: b.label, Bars: []report.Bar{{Value: float64(b.d), Missing: b.d <= 0}}})
	}
	if hi <= 0 {
		return report.Para("This run measured no init.")
	}
	return report.Figure(report.BarChart{
		ID: "init", Label: "init durations, log scale", X: report.Duration("duration (log scale)", lo, hi, true),
		Series: []string{"duration"}, Groups: groups, ValueLabels: true,
	}.SVG(), fmt.Sprintf("The first environment's init. The REPORT line's Init Duration (%s) is not the init: the emulator's own INIT REPORT (%s) is, "+
		"and the first REPORT Duration (%s) has the init inside it; the gateway saw the first invoke take %s, a warm one %s. "+
		"The project reports INIT REPORT as Init Duration and measures latency from outside.",
		report.Millis(in.ReportInit), report.Millis(in.InitReport), report.Millis(in.FirstDuration), report.Millis(in.FirstInvoke), report.Millis(in.Warm)))
}

// memoryFigure puts the REPORT lines' Max Memory Used beside the memory
// the container uses and its cgroup peak, with the memory size marked.
func memoryFigure(r *Result) template.HTML {
	m := r.Memory
	const mb = 1 << 20
	reported := 0
	for _, v := range m.MaxMemoryUsedMB {
		reported = max(reported, v)
	}
	groups := []report.BarGroup{
		{Label: "REPORT Max Memory Used", Bars: []report.Bar{{Value: float64(reported), Missing: len(m.MaxMemoryUsedMB) == 0}}},
		{Label: "container now (docker stats)", Bars: []report.Bar{{Value: float64(m.UsageBytes) / mb, Missing: m.UsageBytes <= 0}}},
		{Label: "container peak (cgroup)", Bars: []report.Bar{{Value: float64(m.MaxUsageBytes) / mb, Missing: m.MaxUsageBytes <= 0}}},
	}
	limit := float64(m.LimitBytes) / mb
	top := max(float64(reported), float64(m.UsageBytes)/mb, float64(m.MaxUsageBytes)/mb, limit, float64(m.MemorySizeMB))
	if top <= 0 {
		return report.Para("This run read no memory figure.")
	}
	var markers []report.Marker
	switch {
	case m.MemorySizeMB > 0:
		markers = append(markers, report.Marker{Value: float64(m.MemorySizeMB), Label: fmt.Sprintf("Memory Size %d MB", m.MemorySizeMB)})
	case limit > 0:
		markers = append(markers, report.Marker{Value: limit, Label: fmt.Sprintf("limit %.0f MiB", limit)})
	}
	return report.Figure(report.BarChart{
		ID: "memory", Label: "memory reported and measured", X: report.Linear("MiB", top, func(v float64) string { return fmt.Sprintf("%g", math.Round(v*10)/10) }),
		Series: []string{"memory (MiB)"}, Groups: groups, ValueLabels: true, Markers: markers,
	}.SVG(), fmt.Sprintf("Max Memory Used on all %d REPORT lines: %v MB, the Memory Size itself; the container's own figures: %s now, %s at its peak, under a %s limit. "+
		"Read docker stats, not the REPORT line.", m.Reports, m.MaxMemoryUsedMB, mib(m.UsageBytes), mib(m.MaxUsageBytes), mib(m.LimitBytes)))
}

// differences is the lab's table: per row, what Lambda does (with its
// sources), what this run saw, what the project does, and whether it held.
func differences(r *Result) template.HTML {
	var rows [][]template.HTML
	for _, row := range r.Rows {
		c := r.Claims.Get(row.Claim)
		lambda := template.HTMLEscapeString(row.Lambda)
		for _, s := range row.Sources {
			lambda += "<br><small>" + source(s) + "</small>"
		}
		mark := `<span class="ok">yes</span>`
		if !c.Holds {
			mark = `<span class="err">no</span>`
		}
		rows = append(rows, []template.HTML{
			template.HTML(template.HTMLEscapeString(row.Topic)),
			template.HTML(lambda),
			template.HTML(template.HTMLEscapeString(c.Detail)),
			withCode(row.Project),
			template.HTML(mark),
		})
	}
	return report.TableHTML("differences", []string{"topic", "Lambda", "this run (local)", "what the project does", "holds"}, rows)
}

// source is a row's source, "URL (what it says)", as a link named by its
// host and the page's last path segment (a whole URL would not wrap, and
// would widen the table past the page).
func source(s string) string {
	raw, rest, _ := strings.Cut(s, " ")
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return template.HTMLEscapeString(s)
	}
	name := u.Host
	if seg := strings.TrimSuffix(path.Base(u.Path), ".html"); seg != "" && seg != "/" && seg != "." {
		name += ": " + seg
	}
	return fmt.Sprintf(`<a href="%s">%s</a> %s`, template.HTMLEscapeString(raw), template.HTMLEscapeString(name), template.HTMLEscapeString(rest))
}

// withCode is plain text whose `quoted` parts become <code>.
func withCode(s string) template.HTML {
	var b strings.Builder
	for i, part := range strings.Split(s, "`") {
		if i%2 == 1 {
			b.WriteString("<code>" + template.HTMLEscapeString(part) + "</code>")
			continue
		}
		b.WriteString(template.HTMLEscapeString(part))
	}
	return template.HTML(b.String())
}

// setupHTML is Setup as HTML: its sentence (`code` as <code>) and its
// shell block.
func setupHTML() template.HTML {
	lead, rest, _ := strings.Cut(Setup, "```sh\n")
	block, _, _ := strings.Cut(rest, "```")
	return "<p>" + withCode(strings.TrimSpace(lead)) + "</p><pre>" + template.HTML(template.HTMLEscapeString(strings.TrimRight(block, "\n"))) + "</pre>"
}

// tries is each row's command.
func tries(r *Result) template.HTML {
	var rows [][]template.HTML
	for _, row := range r.Rows {
		rows = append(rows, []template.HTML{
			template.HTML(template.HTMLEscapeString(row.Topic)),
			template.HTML("<code>" + template.HTMLEscapeString(row.Try) + "</code>"),
		})
	}
	return report.TableHTML("try", []string{"topic", "command"}, rows)
}

func held(r *Result) int {
	n := 0
	for _, c := range r.Claims {
		if c.Holds {
			n++
		}
	}
	return n
}
