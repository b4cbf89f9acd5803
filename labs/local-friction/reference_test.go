package localfriction

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/harness/results"
)

// The committed reference run (reference/local-friction.json, which the
// guide quotes) has its reports beside it as today's code renders them:
// local-friction.md and report.html, byte for byte. After a change to
// either, render them again with
// go run ./harness/cmd/computeladder report labs/local-friction/reference/local-friction.json
func TestReferenceIsTodaysRendering(t *testing.T) {
	const dir = "reference"
	raw, err := os.ReadFile(filepath.Join(dir, Results+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	guide, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if r.RunID == "" || !strings.Contains(string(guide), "Reference run `"+r.RunID+"`") {
		t.Errorf("reference/ holds run %q, which the guide does not name as its reference run", r.RunID)
	}
	for name, render := range map[string]func(io.Writer, *Result) error{Results + ".md": Markdown, results.ReportPage: HTML} {
		var b bytes.Buffer
		if err := render(&b, &r); err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), committed) {
			t.Errorf("reference/%s is not today's rendering of its JSON: render it again with computeladder report", name)
		}
	}
}
