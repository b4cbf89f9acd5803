package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/kit/kittest"
	"github.com/computeladder/computeladder/harness/results"
)

// run runs computeladder with args and returns what it printed.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return kittest.Execute(t, newRootCmd(), args...)
}

func TestBadInputCreatesNothing(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "--arch", "riscv64", "--out", t.TempDir()}, "use amd64 or arm64"},
		{[]string{"build", "extra"}, "unknown command"},
		{[]string{"lockin", "--bogus"}, "unknown flag"},
	} {
		_, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("computeladder %s: error %v, want %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

// Bad input to run, up and sweep is one actionable line and exit code 2,
// before anything is built or created.
func TestRunBadInputExitsTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "mainframe"}, `unknown variant "mainframe"`},
		{[]string{"run"}, "accepts 1 arg"},
		{[]string{"run", "all", "--target", "gcp"}, `--target "gcp"`},
		{[]string{"run", "all", "--runs", "0"}, "--runs 0"},
		{[]string{"run", "all", "--rate", "0"}, "--rate 0"},
		{[]string{"run", "all", "--duration", "-1s"}, "must not be negative"},
		{[]string{"run", "all", "--duration", "soon"}, "invalid argument"},
		{[]string{"run", "vm", "--accel", "whpx"}, `unknown accelerator "whpx"`},
		{[]string{"run", "vm", "--accel", map[string]string{"linux": "hvf", "darwin": "kvm"}[runtime.GOOS]}, "use auto or tcg"},
		{[]string{"run", "vm", "--accel", map[string]string{"linux": "kvm", "darwin": "hvf"}[runtime.GOOS], "--arch", map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]}, "only TCG emulates another architecture"},
		{[]string{"run", "vm", "--arch", "riscv64"}, "--arch: arch \"riscv64\": use amd64 or arm64"},
		{[]string{"up", "vm", "--arch", "386"}, "use amd64 or arm64"},
		{[]string{"build", "--arch", "sparc"}, "use amd64 or arm64"},
		{[]string{"scenario", "execution-ceiling", "--arch", "mips"}, "use amd64 or arm64"},
		{[]string{"scenario", "cold-start", "--arch", "mips"}, "use amd64 or arm64"},
		{[]string{"scenario", "cold-start", "--keep-alive", "1ms"}, "--keep-alive 1ms"},
		{[]string{"scenario", "state", "--run-id", "Not OK"}, "run id"},
		{[]string{"scenario", "state", "--workers", "1"}, "--workers 1"},
		{[]string{"scenario", "connection-storm", "--arch", "mips"}, "use amd64 or arm64"},
		{[]string{"scenario", "local-friction", "--timeout", "1500ms"}, "--timeout 1.5s: use whole seconds"},
		{[]string{"scenario", "local-friction", "--idle", "-1s"}, "--idle -1s"},
		{[]string{"scenario", "execution-ceiling", "--accel", "whpx"}, `unknown accelerator "whpx"`},
		{[]string{"scenario", "execution-ceiling", "--job", "1s"}, "longer than the function timeout"},
		{[]string{"run", "vm", "--endpoint", "http://127.0.0.1:4566"}, "--endpoint goes with"},
		{[]string{"run", "vm", "--run-id", "Not OK"}, "run id"},
		{[]string{"run", "vm", "--memory", "-5"}, "--memory -5"},
		{[]string{"run", "all", "--burst-clients", "0"}, "--burst-clients 0"},
		{[]string{"run", "all", "--burst-duration", "-1s"}, "--burst-duration -1s"},
		{[]string{"run", "all", "--burst-duration", "2m"}, "--burst-duration 2m0s"},
		{[]string{"run", "lambda", "--keep-alive", "0s"}, "--keep-alive 0s"},
		{[]string{"up", "all"}, "unknown variant"},
		{[]string{"sweep", "--run-id", "../etc"}, "run id"},
		{[]string{"sweep", "--target", "gcp"}, `--target "gcp"`},
		{[]string{"run", "all", "--target", "aws"}, "pass --yes"},
		{[]string{"run", "vm", "--ingress", "0.0.0.0/0"}, "whole internet"},
		{[]string{"run", "vm", "--ingress", "me"}, "use a CIDR"},
		{[]string{"report", "/nonexistent/results.json"}, "no such file"},
		{[]string{"frobnicate"}, "unknown command"},
	} {
		_, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("computeladder %s: error %v, want %q", strings.Join(tc.args, " "), err, tc.want)
			continue
		}
		if code := kit.ExitCode(err); code != 2 {
			t.Errorf("computeladder %s: exit code %d, want 2", strings.Join(tc.args, " "), code)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("computeladder %s: error is not one line: %q", strings.Join(tc.args, " "), err)
		}
	}
}

func TestReportAndCompareFromResults(t *testing.T) {
	dir := t.TempDir()
	path := writeSampleResults(t, dir)
	out, err := run(t, "report", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "## The ladder") {
		t.Errorf("report printed no ladder:\n%s", out)
	}
	for _, f := range []string{"report.md", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("report did not write %s: %v", f, err)
		}
	}
	out, err = run(t, "compare", path, path)
	if err != nil {
		t.Fatal(err)
	}
	// One run named twice is one run: counted once, and said so.
	if n := strings.Count(out, "| r-cli |"); n != 1 || !strings.Contains(out, "run r-cli already read from") {
		t.Errorf("compare printed %d rows for one run named twice:\n%s", n, out)
	}
}

func writeSampleResults(t *testing.T, dir string) string {
	t.Helper()
	t0 := time.Now()
	var tl deployers.Timeline
	tl.Mark("deploy", t0)
	tl.Mark("first-200", t0.Add(300*time.Millisecond))
	run := &results.Run{
		SchemaVersion: results.SchemaVersion, RunID: "r-cli", Started: t0, Target: "local",
		Variants: []results.Variant{{
			Variant: deployers.Container, Backend: "docker",
			Startup: results.Startup{
				Samples: []results.StartupSample{{Phases: tl, Total: tl.Total()}},
				Total:   results.StatsOf([]time.Duration{tl.Total()}),
			},
		}},
	}
	path, err := results.Write(dir, run)
	if err != nil {
		t.Fatal(err)
	}
	return path
}
