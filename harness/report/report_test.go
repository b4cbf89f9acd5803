package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

func sampleRun() *results.Run {
	t0 := time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	variant := func(v deployers.Variant, phases []string, offsets []time.Duration, p50 time.Duration) results.Variant {
		var tl deployers.Timeline
		for i, n := range phases {
			tl.Mark(n, t0.Add(offsets[i]))
		}
		var samples []load.Sample
		var lat []time.Duration
		for i := range 100 {
			d := p50 + time.Duration(i)*p50/50
			samples = append(samples, load.Sample{Seq: uint64(i), Latency: d, Service: d, Code: 200})
			lat = append(lat, d)
		}
		res := &load.Result{Rate: 100, Duration: time.Second, Samples: samples, Summary: load.Summarize(samples, time.Second)}
		st := []results.StartupSample{{Phases: tl, Total: tl.Total()}}
		vr := results.Variant{
			Variant: v, Backend: "fake", Description: "fake " + string(v),
			Startup:   results.Startup{Samples: st, Total: results.StatsOf([]time.Duration{tl.Total()})},
			ColdStart: results.ColdStart{Method: "m", Samples: []results.ColdSample{{FirstRequest: 5 * ms, Cold: true}}, FirstRequest: results.StatsOf([]time.Duration{5 * ms})},
			Warm:      &results.Warm{Endpoint: "POST /checkout", Result: res},
			Behaviour: results.Behaviour{Passed: 20},
			Teardown:  results.Teardown{Duration: 120 * ms},
		}
		for i, n := range phases {
			vr.Startup.Phases = append(vr.Startup.Phases, results.PhaseStats{Name: n, Stats: results.StatsOf([]time.Duration{offsets[i]})})
		}
		return vr
	}
	fn := variant(deployers.Lambda, []string{"deploy", "env-started", "first-200"}, []time.Duration{0, 400 * ms, 520 * ms}, 2*ms)
	init := results.StatsOf([]time.Duration{4 * ms, 6 * ms})
	fn.ColdStart.InitDuration = &init
	return &results.Run{
		SchemaVersion: results.SchemaVersion, RunID: "r-123", Started: t0, Target: "local",
		Machine:  results.Machine{OS: "linux", Arch: "amd64", CPUs: 2},
		Settings: results.Settings{Runs: 1, Rate: 100, Duration: time.Second},
		Variants: []results.Variant{
			variant(deployers.VM, []string{"deploy", "qemu-started", "kernel", "listening", "first-200"}, []time.Duration{0, 20 * ms, 900 * ms, 3900 * ms, 4000 * ms}, 3*ms),
			variant(deployers.Container, []string{"deploy", "created", "started", "first-200"}, []time.Duration{0, 60 * ms, 250 * ms, 300 * ms}, ms),
			fn,
		},
	}
}

func TestMarkdownLadder(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, sampleRun()); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"| | vm | container | lambda |",
		"| startup (→ first 200) | 4.00 s (n=1) | 300 ms (n=1) | 520 ms (n=1) |",
		"| you manage | whole OS + app | app + dependencies | function code |",
		"| platform Init Duration | — | — | 5.00 ms (4.00 ms–6.00 ms, n=2) |",
		"| behaviour table | 20/20 passed | 20/20 passed | 20/20 passed |",
		"| kernel | 900 ms |",
	} {
		if !strings.Contains(strings.ReplaceAll(md, "|  |", "| |"), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
}

func TestHTMLHasTableAndCharts(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, sampleRun()); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	for _, want := range []string{`<table id="ladder">`, `<th>container</th>`, `<svg class="chart" id="latency"`, `<svg class="chart" id="timeline"`, `<svg class="chart" id="cdf"`, `<svg class="chart" id="cold-warm"`, "polyline", ">kernel 900 ms<", `<table id="published">`, "maxday/lambda-perf"} {
		if !strings.Contains(h, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	run := sampleRun()
	run.Variants[0].Error = `<script>alert(1)</script>`
	var b bytes.Buffer
	if err := HTML(&b, run); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script>") {
		t.Fatal("an error message reached the page unescaped")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsSurface(t *testing.T) {
	if err := Markdown(failWriter{}, sampleRun()); err == nil {
		t.Error("Markdown hid a write error")
	}
	if err := HTML(failWriter{}, sampleRun()); err == nil {
		t.Error("HTML hid a write error")
	}
}

func TestDur(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0"}, {450 * time.Microsecond, "450 µs"}, {2500 * time.Microsecond, "2.50 ms"},
		{42 * time.Millisecond, "42.0 ms"}, {420 * time.Millisecond, "420 ms"},
		{4400 * time.Millisecond, "4.40 s"}, {95 * time.Second, "95.0 s"},
	}
	for _, tt := range tests {
		if got := dur(tt.d); got != tt.want {
			t.Errorf("dur(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// TestReportsNameTheLabel checks that a labelled run's report.md and
// report.html say whose run it is (escaped), and an unlabelled one says
// nothing of a label.
func TestReportsNameTheLabel(t *testing.T) {
	for _, label := range []string{"", "Ada <group 3>"} {
		run := sampleRun()
		run.Label = label
		var md, page bytes.Buffer
		if err := Markdown(&md, run); err != nil {
			t.Fatal(err)
		}
		if err := HTML(&page, run); err != nil {
			t.Fatal(err)
		}
		if label == "" {
			if strings.Contains(md.String(), "label ") || strings.Contains(page.String(), "label ") {
				t.Errorf("an unlabelled run's report speaks of a label")
			}
			continue
		}
		if !strings.Contains(md.String(), "label "+mdEscape(label)+" · ") {
			t.Errorf("report.md does not name label %q", label)
		}
		if !strings.Contains(page.String(), "label Ada &lt;group 3&gt; · ") {
			t.Errorf("report.html does not name label %q, escaped", label)
		}
	}
}
