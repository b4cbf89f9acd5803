package kit

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/harness/results"
	"github.com/computeladder/computeladder/harness/targets"
)

// TestCallCheck: a scenario's Call.Check refuses a machine without one of
// the lab's programs, naming it and how to install it, and leaves the
// optional ones to the lab.
func TestCallCheck(t *testing.T) {
	missing := func(name string) targets.Prereq {
		return targets.Prereq{Name: name, Apt: name + "-pkg", Brew: name,
			Find: func() (string, error) { return "", errors.New(name + " not found") }}
	}
	type result struct{}
	run := func(needs Needs) error {
		var checked error
		sc := Scenario[result]{Use: "demo", Results: "demo", Needs: needs,
			Run: func(c *Call) (*result, error) {
				checked = c.Check()
				return nil, checked
			},
			Markdown: func(w io.Writer, r *result) error { return nil },
		}
		cmd := sc.command()
		cmd.SetArgs(nil)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		_ = cmd.Execute()
		return checked
	}
	err := run(Needs{Prereqs: []targets.Prereq{missing("needed")}})
	var pe *targets.PrereqError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "needed") || !strings.Contains(err.Error(), "needed-pkg") {
		t.Errorf("a missing program: Check = %v, want a PrereqError naming it and its package", err)
	}
	if err := run(Needs{Optional: []targets.Prereq{missing("optional")}}); err != nil {
		t.Errorf("a missing optional program: Check = %v, want nil (the lab checks it itself)", err)
	}
}

// TestReportReadsTheDocumentOnce: report and Verdict take a document with
// a run id, refuse one without (bad input), and a result type that cannot
// tell its run id is the lab's bug, not the user's.
func TestReportReadsTheDocumentOnce(t *testing.T) {
	type doc struct {
		results.Header
		Claims results.Claims `json:"claims"`
	}
	sc := Scenario[doc]{Use: "demo", Results: "demo",
		Markdown: func(w io.Writer, d *doc) error { _, err := io.WriteString(w, d.RunID); return err },
		Verdict:  func(d *doc) error { return d.Claims.Verdict() },
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("demo.json", `{"run_id": "r1", "claims": [{"name": "a", "holds": false}]}`)
	var out strings.Builder
	if err := sc.report(good, &out); err != nil || out.String() != "r1" {
		t.Errorf("report: %v, printed %q", err, out.String())
	}
	if err := sc.Lab().Verdict(good); err == nil || ExitCode(err) != 1 {
		t.Errorf("Verdict of a failed claim: %v (exit %d), want exit 1", err, ExitCode(err))
	}
	for _, body := range []string{`{"claims": []}`, `null`, `[1]`, `hello`} {
		if err := sc.report(write("other.json", body), io.Discard); ExitCode(err) != 2 {
			t.Errorf("report of %s: %v (exit %d), want exit 2", body, err, ExitCode(err))
		}
	}
	type anonymous struct {
		RunID string `json:"run_id"`
	}
	bad := Scenario[anonymous]{Use: "demo", Results: "demo", Markdown: func(io.Writer, *anonymous) error { return nil }}
	if err := bad.report(good, io.Discard); err == nil || ExitCode(err) != 1 || !strings.Contains(err.Error(), "no ID method") {
		t.Errorf("report with a result type without ID: %v (exit %d), want exit 1 naming the missing method", err, ExitCode(err))
	}
}
