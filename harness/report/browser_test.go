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
)

// findChromium returns Debian's chromium (or another headless-capable
// Chrome) on PATH.
func findChromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (apt-get install chromium)")
}

// TestHTMLRendersInChromium loads report.html in headless Chromium and
// reads back the DOM the browser built: the ladder table and both charts
// must be in it, with every variant's column.
func TestHTMLRendersInChromium(t *testing.T) {
	chrome, err := findChromium()
	deployertest.Require(t, "headless Chromium", err)

	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := HTML(f, sampleRun()); err != nil {
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
	for _, want := range []string{`<table id="ladder">`, `<th>vm</th>`, `<th>container</th>`, `<th>lambda</th>`, `<svg id="latency"`, `<svg id="timeline"`, "startup (→ first 200)"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM Chromium built lacks %q", want)
		}
	}
}
