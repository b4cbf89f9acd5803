package ladder

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/computeladder/computeladder/harness/results"
)

// The guide's figures come from the reference run committed beside it:
// the run it names is the one in reference/, readable with every variant's
// raw warm samples.
func TestReferenceRunIsTheGuides(t *testing.T) {
	guide, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("Reference run `([0-9]{8}-[0-9]{6}-[0-9a-f]{6})`").FindSubmatch(guide)
	if m == nil {
		t.Fatal("the guide names no reference run")
	}
	run, err := results.ReadFile(filepath.Join("reference", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if run.RunID != string(m[1]) {
		t.Errorf("reference/ holds run %s, the guide quotes run %s", run.RunID, m[1])
	}
	if len(run.Variants) != 3 {
		t.Fatalf("reference run has %d variants, want the three", len(run.Variants))
	}
	for _, v := range run.Variants {
		if v.Warm == nil || v.Warm.Result == nil || len(v.Warm.Result.Samples) == 0 {
			t.Errorf("%s: no raw warm samples in the reference run", v.Variant)
		}
	}
	for _, f := range []string{"report.md", "report.html"} {
		if _, err := os.Stat(filepath.Join("reference", f)); err != nil {
			t.Errorf("reference/%s: %v", f, err)
		}
	}
}
