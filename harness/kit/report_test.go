package kit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/harness/results"
)

type pageDoc struct {
	RunID string `json:"run_id"`
}

func TestWriteResultWritesThePageOnlyWhenTheLabDrawsOne(t *testing.T) {
	md := func(w io.Writer, d *pageDoc) error { _, err := fmt.Fprintf(w, "# %s\n", d.RunID); return err }
	page := func(w io.Writer, d *pageDoc) error { _, err := fmt.Fprintf(w, "<html>%s</html>", d.RunID); return err }

	dir := t.TempDir()
	path, err := WriteResult(dir, "demo", &pageDoc{RunID: "r1"}, md, page)
	if err != nil || path != filepath.Join(dir, "demo.json") {
		t.Fatalf("WriteResult = %q, %v", path, err)
	}
	for name, want := range map[string]string{"demo.json": `"run_id": "r1"`, "demo.md": "# r1", results.ReportPage: "<html>r1</html>"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: %q, %v; want it to hold %q", name, b, err, want)
		}
	}

	bare := t.TempDir()
	if _, err := WriteResult(bare, "demo", &pageDoc{RunID: "r2"}, md, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(bare, results.ReportPage)); !os.IsNotExist(err) {
		t.Errorf("a lab without HTML got a %s: %v", results.ReportPage, err)
	}

	broken := func(io.Writer, *pageDoc) error { return errors.New("no chart") }
	if _, err := WriteResult(t.TempDir(), "demo", &pageDoc{RunID: "r3"}, md, broken); err == nil || !strings.Contains(err.Error(), "no chart") {
		t.Errorf("a page that failed to render: %v, want its error", err)
	}
}
