package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

// Format is how compare prints its table.
type Format string

// The formats of compare's table.
const (
	FormatMarkdown Format = "md"
	FormatCSV      Format = "csv"
	FormatJSON     Format = "json"
)

// ParseFormat reads --format: md (also "markdown" and "table", the word
// the other commands use for their human output), csv or json.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "md", "markdown", "table":
		return FormatMarkdown, nil
	case "csv":
		return FormatCSV, nil
	case "json":
		return FormatJSON, nil
	}
	return "", fmt.Errorf("format %q: use md, csv or json", s)
}

// CompareRow is one run's variant as compare lists it. A figure that was
// not measured (or, for a percentile, that too few samples support: see
// load.MinSamples) is nil, never zero.
type CompareRow struct {
	RunID         string `json:"run_id"`
	Label         string `json:"label,omitempty"`
	Target        string `json:"target"`
	OS            string `json:"os"`
	Arch          string `json:"arch"`
	CPUs          int    `json:"cpus"`
	CPUModel      string `json:"cpu_model,omitempty"`
	DockerVersion string `json:"docker_version,omitempty"`
	Variant       string `json:"variant"`
	Backend       string `json:"backend"`
	// Accel is the microVM's accelerator (kvm, hvf or tcg); empty for
	// variants that have none.
	Accel string `json:"accel,omitempty"`
	// Startup and ColdStart are the run's spread over its --runs
	// deployments: deploy → first 200, and each fresh environment's first
	// request.
	Startup   *results.Stats `json:"startup,omitempty"`
	ColdStart *results.Stats `json:"cold_start,omitempty"`
	// WarmP50 and WarmP99 are the warm load's latency percentiles over
	// WarmN successful requests.
	WarmP50        *time.Duration `json:"warm_p50_ns,omitempty"`
	WarmP99        *time.Duration `json:"warm_p99_ns,omitempty"`
	WarmN          int            `json:"warm_n,omitempty"`
	WarmRequests   int            `json:"warm_requests,omitempty"`
	WarmErrors     int            `json:"warm_errors,omitempty"`
	WarmFellBehind bool           `json:"warm_fell_behind,omitempty"`
	Error          string         `json:"error,omitempty"`

	machine, warmText string
}

// CompareRows are runs' rows: each run's variants in its order.
func CompareRows(runs []*results.Run) []CompareRow {
	var out []CompareRow
	for _, run := range runs {
		m := run.Machine
		for _, v := range run.Variants {
			r := CompareRow{
				RunID: run.RunID, Label: run.Label, Target: run.Target,
				OS: m.OS, Arch: m.Arch, CPUs: m.CPUs, CPUModel: m.CPUModel, DockerVersion: m.DockerVersion,
				Variant: string(v.Variant), Backend: v.Backend, Accel: v.Accel, Error: v.Error,
				machine: machine(m), warmText: "—",
			}
			if s := v.Startup.Total; s.N > 0 {
				r.Startup = &s
			}
			if s := v.ColdStart.FirstRequest; s.N > 0 {
				r.ColdStart = &s
			}
			if v.Warm != nil && v.Warm.Result != nil {
				res := v.Warm.Result
				q := res.Summary.Latency
				r.WarmP50, r.WarmP99 = supported(q, 0.50, q.P50), supported(q, 0.99, q.P99)
				r.WarmN, r.WarmRequests, r.WarmErrors = q.N, res.Summary.Requests, res.Summary.Errors
				r.WarmFellBehind = res.Summary.FellBehind(res.Rate)
				r.warmText = warmRequests(res)
			}
			out = append(out, r)
		}
	}
	return out
}

func supported(q load.Quantiles, p float64, v time.Duration) *time.Duration {
	if !q.Supports(p) {
		return nil
	}
	return &v
}

// Compare writes a Markdown table with one line per run and variant, so
// that runs on different machines, targets or settings — a class's —
// sit side by side. Percentiles and schedules follow the reports' rules
// (warm.go); a figure not recorded is "—".
func Compare(w io.Writer, runs []*results.Run) error {
	ew := &ErrWriter{W: w}
	ew.Printf("| run | label | target | machine | CPU model | Docker | variant | accel | startup | cold start | warm p50 | warm p99 | warm requests |\n")
	ew.Printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range CompareRows(runs) {
		cells := []string{r.RunID, r.Label, r.Target, r.machine, r.CPUModel, r.DockerVersion, r.Variant, accelName(r.Accel),
			statCell(r.Startup), statCell(r.ColdStart), warmCell(r, r.WarmP50), warmCell(r, r.WarmP99), r.warmText}
		ew.Printf("|")
		for _, c := range cells {
			if c == "" {
				c = "—"
			}
			ew.Printf(" %s |", mdEscape(c))
		}
		ew.Printf("\n")
	}
	return ew.Err
}

// CompareColumns are CompareCSV's header: durations in milliseconds,
// empty where not measured.
var CompareColumns = []string{
	"run_id", "label", "target", "os", "arch", "cpus", "cpu_model", "docker_version", "variant", "backend", "accel",
	"startup_ms", "startup_n", "cold_start_ms", "cold_start_n", "warm_p50_ms", "warm_p99_ms", "warm_n",
	"warm_requests", "warm_errors", "warm_fell_behind", "error",
}

// CompareCSV writes the rows as CSV (RFC 4180) under CompareColumns, for
// a spreadsheet: a figure is the median in milliseconds, "" where none
// was recorded; a text that a spreadsheet would take for a formula is
// quoted with a leading apostrophe (noFormula).
func CompareCSV(w io.Writer, runs []*results.Run) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CompareColumns); err != nil {
		return err
	}
	for _, r := range CompareRows(runs) {
		rec := []string{r.RunID, r.Label, r.Target, r.OS, r.Arch, strconv.Itoa(r.CPUs), r.CPUModel, r.DockerVersion,
			r.Variant, r.Backend, r.Accel,
			statMS(r.Startup), statN(r.Startup), statMS(r.ColdStart), statN(r.ColdStart),
			durMS(r.WarmP50), durMS(r.WarmP99), strconv.Itoa(r.WarmN),
			strconv.Itoa(r.WarmRequests), strconv.Itoa(r.WarmErrors), strconv.FormatBool(r.WarmFellBehind), r.Error}
		for i, cell := range rec {
			rec[i] = noFormula(cell)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// noFormula keeps a spreadsheet from running a cell as a formula: a
// text that starts with =, +, -, @ (a hand-edited label, say) gets a
// leading apostrophe, as OWASP's advice on CSV injection has it. No
// figure this table writes starts with one of them.
func noFormula(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// CompareDocument is what CompareJSON writes: the rows, and the files
// that were skipped or counted once.
type CompareDocument struct {
	Runs       int                 `json:"runs"`
	Rows       []CompareRow        `json:"rows"`
	Skipped    []results.Skipped   `json:"skipped"`
	Duplicates []results.Duplicate `json:"duplicates"`
}

// CompareJSON writes c as a CompareDocument, indented.
func CompareJSON(w io.Writer, c *results.Class) error {
	doc := CompareDocument{Runs: len(c.Runs), Rows: CompareRows(classRuns(c)), Skipped: c.Skipped, Duplicates: c.Duplicates}
	if doc.Rows == nil {
		doc.Rows = []CompareRow{}
	}
	if doc.Skipped == nil {
		doc.Skipped = []results.Skipped{}
	}
	if doc.Duplicates == nil {
		doc.Duplicates = []results.Duplicate{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// CompareClass writes c's table in format.
func CompareClass(w io.Writer, format Format, c *results.Class) error {
	switch format {
	case FormatCSV:
		return CompareCSV(w, classRuns(c))
	case FormatJSON:
		return CompareJSON(w, c)
	}
	return Compare(w, classRuns(c))
}

func classRuns(c *results.Class) []*results.Run {
	runs := make([]*results.Run, len(c.Runs))
	for i, l := range c.Runs {
		runs[i] = l.Run
	}
	return runs
}

// accelName is how the tables write an accelerator: KVM, HVF, TCG.
func accelName(a string) string { return strings.ToUpper(a) }

func statCell(s *results.Stats) string {
	if s == nil {
		return "—"
	}
	return stat(*s)
}

func warmCell(r CompareRow, v *time.Duration) string {
	switch {
	case v != nil:
		return dur(*v)
	case r.WarmN > 0:
		return fmt.Sprintf("— (n=%d)", r.WarmN)
	}
	return "—"
}

func statMS(s *results.Stats) string {
	if s == nil {
		return ""
	}
	return durMS(&s.Median)
}

func statN(s *results.Stats) string {
	if s == nil {
		return "0"
	}
	return strconv.Itoa(s.N)
}

func durMS(d *time.Duration) string {
	if d == nil {
		return ""
	}
	return strconv.FormatFloat(float64(*d)/1e6, 'f', 3, 64)
}
