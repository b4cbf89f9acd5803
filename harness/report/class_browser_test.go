package report

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/report/reporttest"
)

// TestClassHTMLRendersInChromium loads the class page in headless
// Chromium and reads back the DOM it built: each variant's section, a
// chart per figure with one dot per run, and the outliers named in the
// charts themselves.
func TestClassHTMLRendersInChromium(t *testing.T) {
	chrome, err := reporttest.FindChromium()
	deployertest.Require(t, "headless Chromium", err)

	dir := t.TempDir()
	path := filepath.Join(dir, "class.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ClassHTML(f, sampleClass()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chrome, "--headless", "--no-sandbox", "--disable-gpu",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+path)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("chromium: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	for _, want := range []string{
		`<section id="variant-vm">`, `<section id="variant-container">`,
		`<svg id="vm-startup"`, `<svg id="vm-cold"`, `<svg id="vm-warm"`,
		`<svg id="container-startup"`, `<svg id="container-cold"`, `<svg id="container-warm"`,
		`>Tao — 9.00 s</text>`, `>Una — 40.0 ms</text>`, `<section id="skipped">`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM Chromium built lacks %q", want)
		}
	}
	if n := strings.Count(dom, `<circle class="run"`); n != 54 {
		t.Errorf("the DOM has %d dots, want 54 (9 runs × 2 variants × 3 figures)", n)
	}
	if strings.Contains(dom, "<script") {
		t.Error("the class page has a script")
	}
}
