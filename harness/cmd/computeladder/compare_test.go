package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/harness/results"
)

// execute runs computeladder with args, stdout and stderr apart.
func execute(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := newRootCmd()
	cmd.SetOut(&o)
	cmd.SetErr(&e)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(context.Background())
	return o.String(), e.String(), err
}

// handIn writes one student's results.json into dir/<name>/.
func handIn(t *testing.T, dir, name, runID string, startup time.Duration) string {
	t.Helper()
	var tl deployers.Timeline
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	tl.Mark("deploy", t0)
	tl.Mark("first-200", t0.Add(startup))
	run := &results.Run{
		SchemaVersion: results.SchemaVersion, RunID: runID, Label: name, Started: t0, Target: "local",
		Machine: results.Machine{OS: "linux", Arch: "amd64", CPUs: 2, CPUModel: "AMD EPYC", DockerVersion: "20.10.24"},
		Variants: []results.Variant{{
			Variant: deployers.VM, Backend: "qemu", Accel: "kvm",
			Startup: results.Startup{Samples: []results.StartupSample{{Phases: tl, Total: tl.Total()}}, Total: results.StatsOf([]time.Duration{tl.Total()})},
		}},
	}
	path, err := results.Write(filepath.Join(dir, name), run)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// A class's folder with a truncated file, a non-JSON one and a duplicate:
// the bad files are named on stderr and skipped, the duplicate counted
// once, every good run compared in each format; the exit code is 1.
func TestCompareClass(t *testing.T) {
	dir := t.TempDir()
	paths := map[string]string{}
	for i, name := range []string{"Ada", "Bob", "Cy", "Dee", "Tao"} {
		startup := time.Duration(400+10*i) * time.Millisecond
		if name == "Tao" {
			startup = 9 * time.Second
		}
		paths[name] = handIn(t, dir, name, "r-"+strings.ToLower(name), startup)
	}
	good, _ := os.ReadFile(paths["Ada"])
	write := func(rel, content string) string {
		p := filepath.Join(dir, rel, "results.json")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := write("Eve", string(good[:len(good)/3]))
	notJSON := write("Fay", "this is my report, sorry\n")
	write("Ada-again", string(good))
	page := filepath.Join(t.TempDir(), "class.html")

	for _, format := range []string{"md", "csv", "json"} {
		args := []string{"compare", dir, "--format", format}
		if format == "md" {
			args = append(args, "--html", page)
		}
		stdout, stderr, err := execute(t, args...)
		if code := kit.ExitCode(err); code != 1 || !strings.Contains(err.Error(), "2 file(s) skipped (listed above); the other 5 run(s) compared") {
			t.Fatalf("%s: exit %d, error %v", format, code, err)
		}
		for _, want := range []string{"skipped " + truncated + ": decode results: the file ends early (truncated?)", "skipped " + notJSON + ": decode results: invalid character",
			"run r-ada already read from " + paths["Ada"] + ": counted once"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", format, want, stderr)
			}
		}
		switch format {
		case "md":
			if n := strings.Count(stdout, "| vm | KVM |"); n != 5 {
				t.Errorf("markdown: %d VM rows, want 5:\n%s", n, stdout)
			}
		case "csv":
			recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
			if err != nil || len(recs) != 6 {
				t.Fatalf("csv: %d records, %v:\n%s", len(recs), err, stdout)
			}
			if recs[5][1] != "Tao" || recs[5][11] != "9000.000" {
				t.Errorf("csv: Tao's row %v", recs[5])
			}
		case "json":
			var doc report.CompareDocument
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatalf("json: %v", err)
			}
			if doc.Runs != 5 || len(doc.Rows) != 5 || len(doc.Skipped) != 2 || len(doc.Duplicates) != 1 {
				t.Errorf("json: %d runs, %d rows, %d skipped, %d duplicates", doc.Runs, len(doc.Rows), len(doc.Skipped), len(doc.Duplicates))
			}
		}
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatalf("no class page: %v", err)
	}
	for _, want := range []string{`id="vm-startup"`, `Tao — 9.00 s`, "Files skipped", "Duplicates, counted once"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the class page lacks %q", want)
		}
	}

	// Every file good: exit 0, nothing on stderr.
	stdout, stderr, err := execute(t, "compare", paths["Ada"], paths["Bob"])
	if err != nil || stderr != "" || strings.Count(stdout, "| vm |") != 2 {
		t.Errorf("two good files: error %v, stderr %q, stdout:\n%s", err, stderr, stdout)
	}
}

func TestCompareBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "results.json")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := handIn(t, dir, "Ada", "r-ada", time.Second)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", bad, filepath.Join(dir, "missing.json")}, "none of the 2 files could be read"},
		{[]string{"compare", path, "--format", "xml"}, `--format "xml": use md, csv or json`},
		{[]string{"compare"}, "requires at least 1 arg"},
		{[]string{"run", "vm", "--label", "Ada\nDROP TABLE"}, "--label \"Ada\\nDROP TABLE\": character 4 is U+000A"},
		{[]string{"run", "vm", "--label", strings.Repeat("x", 65)}, "--label is 65 characters long: use at most 64"},
	} {
		_, _, err := execute(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("computeladder %q: error %v, want %q", tc.args, err, tc.want)
			continue
		}
		if code := kit.ExitCode(err); code != 2 {
			t.Errorf("computeladder %q: exit code %d, want 2", tc.args, code)
		}
	}
}
