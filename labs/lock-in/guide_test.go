package lockin_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lockin "github.com/computeladder/computeladder/labs/lock-in"
)

// TestGuideShowsTodaysCounts: the `make lockin` table the guide shows, and
// the one committed in reference/lockin.txt, are what lockin prints for
// this repository now — the guide's line counts cannot go stale.
func TestGuideShowsTodaysCounts(t *testing.T) {
	comps, err := lockin.Analyze(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := lockin.Write(&want, comps); err != nil {
		t.Fatal(err)
	}
	table := strings.TrimSpace(want.String())

	guide, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(guide), "### `make lockin`\n\n```\n")
	if !ok {
		t.Fatal("README.md: no ```-block after the heading ### `make lockin`")
	}
	shown, _, ok := strings.Cut(after, "\n```")
	if !ok {
		t.Fatal("README.md: the `make lockin` block does not end")
	}
	if strings.TrimSpace(shown) != table {
		t.Errorf("README.md shows\n%s\n\nlockin prints today\n%s", shown, table)
	}

	ref, err := os.ReadFile(filepath.Join("reference", "lockin.txt"))
	if err != nil {
		t.Fatal(err)
	}
	_, out, _ := strings.Cut(string(ref), "\n") // the command line
	if strings.TrimSpace(out) != table {
		t.Errorf("reference/lockin.txt holds\n%s\n\nlockin prints today\n%s", out, table)
	}
}
