package kittest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/deployers/deployertest"
)

// recorder is a testing.TB that records a skip or a failure and stops
// there, as the testing package does.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, a ...any) {
	r.skipped = fmt.Sprintf(format, a...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, a ...any) {
	r.failed = fmt.Sprintf(format, a...)
	runtime.Goexit()
}

// TestSmokeSkipsOnALaptopAndFailsInCI: a smoke test that misses what it
// needs is skipped with a one-line reason, and fails under CI=true; it
// never runs on.
func TestSmokeSkipsOnALaptopAndFailsInCI(t *testing.T) {
	missing := func(t testing.TB) { deployertest.Require(t, "the thing", errors.New("not installed")) }
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		r := &recorder{TB: t}
		ran := false
		done := make(chan struct{})
		go func() {
			defer close(done)
			Smoke(r, "kt", missing)
			ran = true
		}()
		<-done
		switch {
		case ran:
			t.Errorf("CI=%q: the test ran on without what it needs", ci)
		case ci == "" && (r.skipped == "" || r.failed != "" || strings.Contains(r.skipped, "\n")):
			t.Errorf("CI unset: skipped %q, failed %q; want one line of skip", r.skipped, r.failed)
		case ci == "true" && (r.failed == "" || r.skipped != "" || !strings.Contains(r.failed, "required under CI=true")):
			t.Errorf("CI=true: skipped %q, failed %q; want a failure", r.skipped, r.failed)
		}
		t.Logf("CI=%q: skipped %q, failed %q", ci, r.skipped, r.failed)
	}
}
