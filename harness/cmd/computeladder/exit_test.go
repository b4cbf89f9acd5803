package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/harness/kit"
)

// TestUnknownNamesAndBadOutputExitTwo: every name the CLI does not know,
// and every -o it cannot print, is bad input (exit 2) with a line that
// says what to use.
func TestUnknownNamesAndBadOutputExitTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"scenario", "bogus"}, `unknown scenario "bogus": use checkout, cold-start, connection-storm, execution-ceiling, local-friction, state`},
		{[]string{"run", "bogus"}, `unknown variant "bogus"`},
		{[]string{"up", "bogus"}, `unknown variant "bogus"`},
		{[]string{"setup", "bogus"}, `unknown lab "bogus"`},
		{[]string{"build", "--arch", "sparc"}, `arch "sparc": use amd64 or arm64`},
		{[]string{"sweep", "--run-id", "Not_An_Id"}, "run id"},
		{[]string{"sweep", "--ttl", "0s"}, "--ttl 0s: must be positive"},
		{[]string{"sweep", "--target", "aws", "--ttl", "-1h"}, "--ttl -1h0m0s: must be positive"},
		{[]string{"down", "Not_An_Id"}, "run id"},
		{[]string{"down"}, "accepts 1 arg"},
		{[]string{"lockin", "-o", "yaml"}, `-o "yaml": use table or json`},
		{[]string{"cost", "-o", "xml"}, `-o "xml": use table or json`},
		{[]string{"report", "-o", "csv", "x.json"}, `-o "csv": use table or json`},
		{[]string{"compare", "-o", "csv", "x.json"}, `-o "csv": use table or json`},
		{[]string{"run", "all", "-o", "yaml"}, `-o "yaml": use table or json`},
		{[]string{"scenario", "state", "-o", "yaml"}, `-o "yaml": use table or json`},
		{[]string{"doctor", "-o", "yaml"}, `-o "yaml": use table or json`},
	} {
		_, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || kit.ExitCode(err) != 2 {
			t.Errorf("computeladder %s: %v (exit %d), want exit 2 with %q", strings.Join(tc.args, " "), err, kit.ExitCode(err), tc.want)
		}
	}
}

// TestVersion: --version prints the version and exits 0, from the binary.
func TestVersion(t *testing.T) {
	out, err := exec.Command(buildCLI(t), "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "computeladder ") || !strings.Contains(string(out), "go1.") {
		t.Errorf("--version: %v, %q", err, out)
	}
}

// TestReportRefusesWhatIsNotARunsResults: an empty object, another
// program's JSON, a ladder-shaped document without variants or a file
// that is not JSON is refused with exit 2, and nothing is written beside
// it. (A scenario's own document, cold-start.json and the like, is
// rendered: TestReportRendersALabResult.)
func TestReportRefusesWhatIsNotARunsResults(t *testing.T) {
	for name, body := range map[string]string{
		"results.json": `{"schema_version": 2, "run_id": "r1", "variants": []}`,
		"empty.json":   `{}`,
		"package.json": `{"name": "x", "version": "1.0.0"}`,
		"notjson.json": `hello`,
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range []string{"report", "compare"} {
			out, err := run(t, cmd, path)
			if err == nil || kit.ExitCode(err) != 2 {
				t.Errorf("%s %s: %v (exit %d), want exit 2\n%s", cmd, name, err, kit.ExitCode(err), out)
			}
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("report %s wrote beside it: %v", name, names)
		}
	}
}

// TestOutputJSON: -o json prints a document a program can read; --json
// still works (deprecated).
func TestOutputJSON(t *testing.T) {
	path := writeSampleResults(t, t.TempDir())
	for _, args := range [][]string{
		{"report", "-o", "json", path}, {"report", "--json", path},
	} {
		out, err := run(t, args...)
		var doc struct {
			RunID    string `json:"run_id"`
			Variants []any  `json:"variants"`
		}
		if err != nil || json.Unmarshal([]byte(out), &doc) != nil || doc.RunID != "r-cli" || len(doc.Variants) != 1 {
			t.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// compare -o json is --format json: the rows, the skipped files and
	// the duplicates (the same file twice is one run and one duplicate).
	// (run gives stdout and stderr together: the duplicate's line on
	// stderr comes before the document.)
	out, err := run(t, "compare", "-o", "json", path, path)
	if i := strings.Index(out, "{"); i > 0 {
		out = out[i:]
	}
	var cmp struct {
		Runs       int              `json:"runs"`
		Rows       []map[string]any `json:"rows"`
		Duplicates []map[string]any `json:"duplicates"`
	}
	if err != nil || json.Unmarshal([]byte(out), &cmp) != nil || cmp.Runs != 1 || len(cmp.Rows) != 1 || len(cmp.Duplicates) != 1 {
		t.Errorf("compare -o json: %v\n%s", err, out)
	}
	if _, err := run(t, "compare", "-o", "json", "--format", "csv", path); kit.ExitCode(err) != 2 {
		t.Errorf("compare -o json --format csv: %v, want exit 2", err)
	}
	out, err = run(t, "cost", "-o", "json", "--rates", "1,100")
	var c struct {
		Rates    []map[string]float64 `json:"rates"`
		AlwaysOn []map[string]any     `json:"always_on"`
	}
	if err != nil || json.Unmarshal([]byte(out), &c) != nil || len(c.Rates) != 2 || c.Rates[1]["requests_per_second"] != 100 || len(c.AlwaysOn) == 0 {
		t.Errorf("cost -o json: %v\n%s", err, out)
	}
	out, err = run(t, "lockin", "-o", "json")
	var comps []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &comps) != nil || len(comps) == 0 || comps[0]["name"] != "app" {
		t.Errorf("lockin -o json: %v\n%s", err, out)
	}
}

// TestLabSweepersOnce: a sweeper two labs share (the PostgreSQL servers of
// the connection-storm and checkout labs) is asked once, so that sweep
// and down list each of its resources once.
func TestLabSweepersOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range labSweepers() {
		k := fmt.Sprintf("%#v", s)
		if seen[k] {
			t.Errorf("labSweepers has %s twice", k)
		}
		seen[k] = true
	}
	if len(seen) == 0 {
		t.Error("no lab sweeper: the PostgreSQL servers' is expected")
	}
}

// TestEveryScenarioExitsOneWhenAClaimFails: every scenario judges its
// claims the same way: its reference run (every claim held) passes, and
// the same document with its claims turned to failed is an error with
// exit code 1.
func TestEveryScenarioExitsOneWhenAClaimFails(t *testing.T) {
	for _, l := range labs {
		lab := l()
		if !lab.Scenario {
			continue
		}
		if lab.Verdict == nil {
			t.Errorf("scenario %s sets no Verdict: a claim that does not hold would exit 0", lab.Name)
			continue
		}
		ref := filepath.Join("..", "..", "..", "labs", lab.Name, "reference", lab.Results+".json")
		if _, err := os.Stat(ref); err != nil {
			ref = filepath.Join(filepath.Dir(ref), "results.json") // the checkout lab's
		}
		b, err := os.ReadFile(ref)
		if err != nil {
			t.Errorf("scenario %s: %v", lab.Name, err)
			continue
		}
		if err := lab.Verdict(ref); err != nil {
			t.Errorf("scenario %s: its reference run's verdict: %v, want nil", lab.Name, err)
		}
		failed := strings.ReplaceAll(string(b), `"holds": true`, `"holds": false`)
		if failed == string(b) {
			t.Errorf("scenario %s: %s has no claim that holds", lab.Name, ref)
			continue
		}
		path := filepath.Join(t.TempDir(), filepath.Base(ref))
		if err := os.WriteFile(path, []byte(failed), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := lab.Verdict(path); err == nil || kit.ExitCode(err) != 1 {
			t.Errorf("scenario %s with its claims failed: %v (exit %d), want exit 1", lab.Name, err, kit.ExitCode(err))
		}
	}
}
