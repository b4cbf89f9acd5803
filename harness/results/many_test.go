package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
)

func writeRun(t *testing.T, dir, id, label string) string {
	t.Helper()
	r := &Run{SchemaVersion: SchemaVersion, RunID: id, Label: label, Target: "local",
		Started:  time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
		Variants: []Variant{{Variant: deployers.Container, Backend: "docker"}}}
	path, err := Write(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func writeRaw(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A class's files: the bad ones are listed with why and skipped, the
// others read; a run id read twice is counted once.
func TestReadClass(t *testing.T) {
	root := t.TempDir()
	a := writeRun(t, filepath.Join(root, "ada"), "r-ada", "Ada")
	writeRun(t, filepath.Join(root, "class", "bob"), "r-bob", "Bob")
	writeRun(t, filepath.Join(root, "class", "cy"), "r-cy", "")
	good, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	truncated := writeRaw(t, filepath.Join(root, "trunc", "results.json"), string(good[:len(good)/2]))
	notJSON := writeRaw(t, filepath.Join(root, "class", "zed", "results.json"), "<html>oops</html>")
	empty := writeRaw(t, filepath.Join(root, "empty.json"), "")
	noID := writeRaw(t, filepath.Join(root, "noid.json"), `{"schema_version":2}`)
	dup := writeRaw(t, filepath.Join(root, "copy", "results.json"), string(good))
	renamed := writeRaw(t, filepath.Join(root, "renamed.json"), strings.Replace(string(good), `"Ada"`, `"Eve"`, 1))
	missing := filepath.Join(root, "nope.json")
	bare := filepath.Join(root, "bare")
	if err := os.Mkdir(bare, 0o755); err != nil {
		t.Fatal(err)
	}

	c := ReadClass([]string{a, truncated, filepath.Join(root, "class"), empty, noID, dup, renamed, missing, bare})

	var ids []string
	for _, l := range c.Runs {
		ids = append(ids, l.Run.RunID)
	}
	if got := strings.Join(ids, " "); got != "r-ada r-bob r-cy" {
		t.Errorf("runs read = %q, want r-ada r-bob r-cy (the folder's in lexical order)", got)
	}
	want := map[string]string{
		truncated: "ends early (truncated?)",
		notJSON:   "decode results: invalid character '<'",
		empty:     "the file is empty",
		noID:      "no run_id",
		missing:   "no such file",
		bare:      "no results.json in this folder",
	}
	if len(c.Skipped) != len(want) {
		t.Errorf("skipped %d files, want %d: %+v", len(c.Skipped), len(want), c.Skipped)
	}
	for _, s := range c.Skipped {
		if w, ok := want[s.Path]; !ok || !strings.Contains(s.Err, w) {
			t.Errorf("skipped %s: %q, want it to say %q", s.Path, s.Err, w)
		}
	}
	if len(c.Duplicates) != 2 {
		t.Fatalf("duplicates = %+v, want the copy and the renamed copy", c.Duplicates)
	}
	for _, d := range c.Duplicates {
		if d.RunID != "r-ada" || d.First != a {
			t.Errorf("duplicate %+v: want run r-ada, first read from %s", d, a)
		}
		if d.OtherLabel != (d.Path == renamed) {
			t.Errorf("duplicate %s: OtherLabel = %v", d.Path, d.OtherLabel)
		}
	}
}

// ReadDocument does not need the raw-sample files: a class's folders may
// have lost them.
func TestReadDocumentWithoutSamples(t *testing.T) {
	dir := t.TempDir()
	path := writeRaw(t, filepath.Join(dir, "results.json"),
		`{"schema_version":2,"run_id":"r","variants":[{"variant":"container","warm":{"result":{"rate":10},"samples_file":"warm-container.samples.zst","sample_count":5}}]}`)
	if _, err := ReadFile(path); err == nil {
		t.Fatal("ReadFile read a run whose sample file is missing")
	}
	run, err := ReadDocument(path)
	if err != nil {
		t.Fatalf("ReadDocument: %v", err)
	}
	if run.Variants[0].Warm.SampleCount != 5 {
		t.Errorf("ReadDocument lost the document's figures: %+v", run.Variants[0].Warm)
	}
}
