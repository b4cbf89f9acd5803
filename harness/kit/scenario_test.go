package kit

import (
	"errors"
	"io"
	"strings"
	"testing"

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
