package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/harness/kit"
)

// A scenario's own document renders again through `report`: its .md and
// report.html are written beside it, its summary printed; a document of
// that name that is not one is a usage error.
func TestReportRendersALabResult(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "storm.json")
	doc := `{"run_id":"r-1","date":"2026-11-30T09:00:00Z","postgres":{"max_connections":23,"superuser_reserved_connections":3,"available_to_app":20},
"burst":12,"rounds":1,"pool_size":5,"cases":[{"name":"storm","variant":"lambda","pool_size":5,"environments":12,"wanted_connections":60,
"peak_server_connections":20,"requests":12,"created":7,"database_unavailable":5,"throttled":0,"other":0}],"claims":[],"teardown_ns":1000000}`
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "report", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "# Connection storm: run r-1") {
		t.Errorf("report printed no storm summary:\n%s", out)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil || !strings.Contains(string(page), `id="outcomes"`) {
		t.Errorf("report.html not written with the outcomes chart: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "storm.md")); err != nil {
		t.Errorf("storm.md not written: %v", err)
	}

	for _, bad := range []string{`{"burst": "many"}`, `{"burst": 3}`, `not json`} {
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := run(t, "report", path)
		if err == nil || !strings.Contains(err.Error(), "not a connection-storm result") || kit.ExitCode(err) != 2 {
			t.Errorf("report of %s: %v, want a usage error saying it is not a connection-storm result", bad, err)
		}
	}
}

// resultsKind is the one function that tells the kinds apart: each
// scenario's document by its name, anything else as a run's results.json.
func TestResultsKindByName(t *testing.T) {
	names := map[string]bool{}
	for _, l := range labs {
		lab := l()
		if !lab.Scenario {
			continue
		}
		if lab.Results == "" || lab.Report == nil {
			t.Errorf("a scenario lab has no Results name or Report: %+v", lab)
			continue
		}
		if names[lab.Results] {
			t.Errorf("two labs write %s.json", lab.Results)
		}
		names[lab.Results] = true
	}
	for _, want := range []string{"cold-start", "execution-ceiling", "state", "storm"} {
		if !names[want] {
			t.Errorf("no lab renders %s.json again", want)
		}
	}
}

// A lab's document named results.json (the checkout lab's reference run)
// is told from a run's results.json by its "lab" field: it renders as the
// lab's; without the field it is taken for a run's and refused.
func TestReportTellsALabResultByItsLabField(t *testing.T) {
	ref, err := os.ReadFile(filepath.Join("..", "..", "..", "labs", "checkout", "reference", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "results.json")
	if err := os.WriteFile(path, ref, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "report", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "# Checkout API: run 20261130-124252-9e34af") {
		t.Errorf("report printed no checkout summary:\n%s", out)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil || !strings.Contains(string(page), `id="gap"`) || !strings.Contains(string(page), `id="orders"`) {
		t.Errorf("report.html not written with the checkout charts: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.md")); err == nil {
		t.Error("a ladder report.md was written for a checkout document")
	}

	other := t.TempDir()
	path = filepath.Join(other, "results.json")
	if err := os.WriteFile(path, []byte(strings.Replace(string(ref), `"lab": "checkout",`, "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "report", path); err == nil || kit.ExitCode(err) != 2 {
		t.Errorf("report of a checkout document without its lab field, named results.json: %v, want it refused as a run's results", err)
	}
	if _, err := os.Stat(filepath.Join(other, "report.html")); err == nil {
		t.Error("report.html written for a refused document")
	}
}
