package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

const ms = time.Millisecond

// classRun is one student's run: a VM (with its accelerator) and a
// container, with the given startup, cold start and warm p50 (n=200).
func classRun(id, label, accel string, vmStartup, ctStartup, cold, p50 time.Duration) *results.Run {
	variant := func(v deployers.Variant, startup time.Duration) results.Variant {
		res := &load.Result{Rate: 100, Duration: 2 * time.Second, Summary: load.Summary{
			Scheduled: 200, Requests: 200, Answered: 200, AchievedRate: 100,
			Latency: load.Quantiles{N: 200, Min: p50 / 2, P50: p50, P90: 2 * p50, P99: 3 * p50, P999: 4 * p50, Max: 5 * p50},
		}}
		return results.Variant{
			Variant: v, Backend: "fake",
			Startup:   results.Startup{Total: results.StatsOf([]time.Duration{startup, startup + ms, startup - ms})},
			ColdStart: results.ColdStart{FirstRequest: results.StatsOf([]time.Duration{cold})},
			Warm:      &results.Warm{Endpoint: "POST /checkout", Result: res},
		}
	}
	vm := variant(deployers.VM, vmStartup)
	vm.Accel = accel
	return &results.Run{
		SchemaVersion: results.SchemaVersion, RunID: id, Label: label, Target: "local",
		Started:  time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
		Machine:  results.Machine{OS: "linux", Arch: "amd64", CPUs: 4, CPUModel: "AMD EPYC 7" + id, DockerVersion: "27.3.1"},
		Variants: []results.Variant{vm, variant(deployers.Container, ctStartup)},
	}
}

// sampleClass: seven KVM runs close together, one TCG run far slower
// (Tao), one run with an unusually fast container start (Una), and two
// runs by the same label.
func sampleClass() *results.Class {
	c := &results.Class{}
	add := func(r *results.Run) { c.Runs = append(c.Runs, results.Loaded{Path: r.RunID + "/results.json", Run: r}) }
	for i, name := range []string{"Ada", "Bob", "Cy", "Dee", "Eli"} {
		add(classRun(fmt.Sprintf("r%d", i), name, "kvm", time.Duration(400+10*i)*ms, time.Duration(300+5*i)*ms, 5*ms, ms))
	}
	add(classRun("r5", "Tao", "tcg", 9*time.Second, 310*ms, 5*ms, ms))
	add(classRun("r6", "Una", "kvm", 430*ms, 40*ms, 5*ms, ms))
	add(classRun("r7", "Group 3", "kvm", 420*ms, 305*ms, 5*ms, ms))
	add(classRun("r8", "Group 3", "kvm", 425*ms, 306*ms, 5*ms, ms))
	c.Skipped = []results.Skipped{{Path: "zed/results.json", Err: "decode results: the file ends early (truncated?)"}}
	c.Duplicates = []results.Duplicate{{Path: "copy/results.json", RunID: "r0", First: "r0/results.json", OtherLabel: true}}
	return c
}

func TestFences(t *testing.T) {
	ds := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, x := range n {
			out[i] = time.Duration(x) * ms
		}
		return out
	}
	for _, tc := range []struct {
		in     []time.Duration
		lo, hi time.Duration
		ok     bool
	}{
		{ds(1, 2, 3), 0, 0, false}, // too few runs
		// Q1 1.5, Q3 3.5, IQR 2: fences −1.5 and 6.5.
		{ds(4, 1, 3, 2), -1500 * time.Microsecond, 6500 * time.Microsecond, true},
		// Hinges 3 and 7 (the halves of 9 share the middle run): IQR 4,
		// fences −3 and 13.
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 100), -3 * ms, 13 * ms, true},
		// Five runs, one far off: hinges 410 and 430, so 9 s is out
		// (the plain halves' Q3 would be 4.715 s, and it would not be).
		{ds(400, 410, 420, 430, 9000), 347 * ms, 493 * ms, true},
		// All equal: the IQR is a tenth of the median, 0.5 ms.
		{ds(5, 5, 5, 5), 4250 * time.Microsecond, 5750 * time.Microsecond, true},
		// Agreeing within 5 %: hinges 410 and 430 but the IQR is 42 ms
		// (a tenth of 420): nobody is out.
		{ds(400, 410, 420, 430, 440), 347 * ms, 493 * ms, true},
	} {
		lo, hi, ok := Fences(tc.in)
		if lo != tc.lo || hi != tc.hi || ok != tc.ok {
			t.Errorf("Fences(%v) = %v, %v, %v; want %v, %v, %v", tc.in, lo, hi, ok, tc.lo, tc.hi, tc.ok)
		}
	}
}

func TestClassVariantsNameOutliers(t *testing.T) {
	vs := ClassVariants(sampleClass())
	if len(vs) != 2 || vs[0].Title != "vm" || vs[1].Title != "container" {
		t.Fatalf("variants = %v, want vm then container", vs)
	}
	outliers := func(f *ClassFigure) string {
		var s []string
		for _, o := range f.Outliers {
			s = append(s, o.Who+" "+o.Out)
		}
		return strings.Join(s, ", ")
	}
	if got := outliers(vs[0].Figures[0]); got != "Tao above" {
		t.Errorf("vm startup outliers = %q, want Tao above", got)
	}
	if got := outliers(vs[1].Figures[0]); got != "Una below" {
		t.Errorf("container startup outliers = %q, want Una below", got)
	}
	for _, g := range vs {
		for _, f := range g.Figures[1:] {
			if len(f.Outliers) != 0 || !f.Fenced || len(f.Points) != 9 {
				t.Errorf("%s %s: %d points, fenced %v, outliers %q; want 9 equal runs, none out", g.Title, f.Name, len(f.Points), f.Fenced, outliers(f))
			}
		}
	}
	// The same label twice: each named with its run id.
	var who []string
	for _, r := range vs[0].Rows {
		who = append(who, r.Who)
	}
	if got := strings.Join(who, "|"); !strings.Contains(got, "Group 3 (r7)|Group 3 (r8)") || !strings.HasPrefix(got, "Ada|") {
		t.Errorf("rows named %q", got)
	}
	if got := strings.Join(vs[0].Accels, " "); got != "KVM TCG" {
		t.Errorf("vm accelerators = %q", got)
	}
}

// Three runs: no fences, no outliers, however far apart.
func TestClassFewRunsNoOutliers(t *testing.T) {
	c := &results.Class{}
	for i, d := range []time.Duration{300 * ms, 310 * ms, 30 * time.Second} {
		r := classRun(fmt.Sprint("r", i), "", "kvm", d, d, ms, ms)
		c.Runs = append(c.Runs, results.Loaded{Run: r})
	}
	f := ClassVariants(c)[0].Figures[0]
	if f.Fenced || len(f.Outliers) != 0 {
		t.Errorf("three runs: fenced %v, outliers %v", f.Fenced, f.Outliers)
	}
	var b bytes.Buffer
	if err := ClassHTML(&b, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Fewer than 4 runs: no outliers named") {
		t.Error("the page does not say why no outlier is named")
	}
	// 300 ms to 30 s: a log axis, and it says so.
	if !strings.Contains(b.String(), "log scale") {
		t.Error("a 100× spread is not drawn on a log axis")
	}
}

func TestClassHTML(t *testing.T) {
	var b bytes.Buffer
	c := sampleClass()
	c.Runs[0].Run.Label = `Ada <script>alert(1)</script>`
	if err := ClassHTML(&b, c); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		`<section id="variant-vm">`, `<section id="variant-container">`,
		`<svg class="chart" id="vm-startup"`, `<svg class="chart" id="vm-cold"`, `<svg class="chart" id="vm-warm"`, `<svg class="chart" id="container-startup"`,
		`<text class="value outlier"`, `Tao — 9.00 s`, `Una — 40.0 ms`,
		`Outliers: <b>Tao</b> 9.00 s (above)`,
		"9 runs from 11 files (skipped: 1; duplicates counted once: 1)",
		"Tukey&#39;s fences", "<td class=\"out\">9.00 s</td>",
		"zed/results.json", "under another label",
		"AMD EPYC 7r5", "27.3.1",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the class page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("a label reached the page unescaped")
	}
	if n := strings.Count(page, `<circle class="mark"`); n != 2*3*9 {
		t.Errorf("%d dots, want one per run, variant and figure (54)", n)
	}
}

// Every format is read back by its own parser, with the same figures.
func TestCompareFormatsParseBack(t *testing.T) {
	c := sampleClass()
	runs := classRuns(c)

	var md bytes.Buffer
	if err := CompareClass(&md, FormatMarkdown, c); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(md.String()), "\n")
	if len(lines) != 2+18 {
		t.Fatalf("markdown: %d lines, want header, rule and 18 rows", len(lines))
	}
	for _, l := range lines {
		if n := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); n != 14 {
			t.Errorf("markdown line has %d pipes, want 14: %s", n, l)
		}
	}
	if !strings.Contains(md.String(), "| r5 | Tao | local | linux/amd64, 4 CPUs | AMD EPYC 7r5 | 27.3.1 | vm | TCG | 9.00 s (9.00 s–9.00 s, n=3)") {
		t.Errorf("markdown lacks Tao's VM row:\n%s", md.String())
	}

	var cb bytes.Buffer
	if err := CompareClass(&cb, FormatCSV, c); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&cb).ReadAll()
	if err != nil {
		t.Fatalf("csv does not parse: %v", err)
	}
	if len(recs) != 1+18 || strings.Join(recs[0], ",") != strings.Join(CompareColumns, ",") {
		t.Fatalf("csv: %d records, header %v", len(recs), recs[0])
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	rows := CompareRows(runs)
	for i, rec := range recs[1:] {
		r := rows[i]
		got, err := strconv.ParseFloat(rec[col["startup_ms"]], 64)
		if err != nil || time.Duration(got*1e6) != r.Startup.Median {
			t.Errorf("csv row %d startup_ms %q, want %v", i, rec[col["startup_ms"]], r.Startup.Median)
		}
		if rec[col["label"]] != r.Label || rec[col["accel"]] != r.Accel || rec[col["cpu_model"]] != r.CPUModel || rec[col["docker_version"]] != "27.3.1" {
			t.Errorf("csv row %d: %v", i, rec)
		}
		if p, _ := strconv.ParseFloat(rec[col["warm_p50_ms"]], 64); p != 1 {
			t.Errorf("csv row %d warm_p50_ms %q, want 1.000", i, rec[col["warm_p50_ms"]])
		}
	}

	var jb bytes.Buffer
	if err := CompareClass(&jb, FormatJSON, c); err != nil {
		t.Fatal(err)
	}
	var doc CompareDocument
	dec := json.NewDecoder(&jb)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("json does not parse: %v", err)
	}
	if doc.Runs != 9 || len(doc.Rows) != 18 || len(doc.Skipped) != 1 || len(doc.Duplicates) != 1 {
		t.Fatalf("json: %d runs, %d rows, %d skipped, %d duplicates", doc.Runs, len(doc.Rows), len(doc.Skipped), len(doc.Duplicates))
	}
	tao := doc.Rows[10]
	if tao.Label != "Tao" || tao.Variant != "vm" || tao.Accel != "tcg" || tao.Startup.Median != 9*time.Second || *tao.WarmP50 != ms || tao.WarmN != 200 {
		t.Errorf("json: Tao's VM row = %+v", tao)
	}
}

// A figure not measured is absent in every format, never a zero.
func TestCompareNotMeasured(t *testing.T) {
	r := classRun("r0", "", "", 0, 0, 0, 0)
	for i := range r.Variants {
		r.Variants[i].Startup = results.Startup{}
		r.Variants[i].ColdStart = results.ColdStart{}
		r.Variants[i].Warm.Result.Summary.Latency = load.Quantiles{N: 1, P50: ms, P99: ms}
	}
	r.Machine.CPUModel, r.Machine.DockerVersion = "", ""
	var md, cb, jb bytes.Buffer
	if err := Compare(&md, []*results.Run{r}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| r0 | — | local | linux/amd64, 4 CPUs | — | — | vm | — | — | — | — (n=1) | — (n=1) |") {
		t.Errorf("markdown:\n%s", md.String())
	}
	if err := CompareCSV(&cb, []*results.Run{r}); err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(&cb).ReadAll()
	if got := strings.Join(recs[1][11:17], ","); got != ",0,,0,," {
		t.Errorf("csv figures = %q, want empty (n 0)", got)
	}
	if err := CompareJSON(&jb, &results.Class{Runs: []results.Loaded{{Run: r}}}); err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{`"startup"`, `"cold_start"`, `"warm_p50_ns"`, `"cpu_model"`, `"skipped": []`} {
		if strings.Contains(jb.String(), absent) != (absent == `"skipped": []`) {
			t.Errorf("json and %s:\n%s", absent, jb.String())
		}
	}
}

// A label a spreadsheet would run as a formula reaches the CSV as text.
func TestCompareCSVNoFormula(t *testing.T) {
	r := classRun("r0", `=HYPERLINK("http://x","y")`, "kvm", ms, ms, ms, ms)
	r.Machine.CPUModel = "@SUM(1)"
	var b bytes.Buffer
	if err := CompareCSV(&b, []*results.Run{r}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[1][1] != `'=HYPERLINK("http://x","y")` || recs[1][6] != "'@SUM(1)" || recs[1][11] != "1.000" {
		t.Errorf("csv row %q", recs[1])
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"md": FormatMarkdown, "table": FormatMarkdown, "CSV": FormatCSV, "json": FormatJSON} {
		if got, err := ParseFormat(in); got != want || err != nil {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "use md, csv or json") {
		t.Errorf("ParseFormat(xml) error = %v", err)
	}
}
