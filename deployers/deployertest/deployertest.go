// Package deployertest holds what the deployers' tests share: the rule that
// integration tests skip on a laptop without Docker or QEMU but fail under
// CI=true, cached artifacts, and a run id per test.
package deployertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// CI reports whether the tests run in CI (CI=true), where a missing
// prerequisite is a failure rather than a skip.
func CI() bool { return os.Getenv("CI") == "true" }

// Require skips the test with a one-line reason when err is not nil, or
// fails it under CI=true.
func Require(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if CI() {
		t.Fatalf("%s is required under CI=true: %v", what, err)
	}
	t.Skipf("skipping: %s not available: %v", what, err)
}

// RequireDocker needs a reachable Docker engine.
func RequireDocker(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err != nil {
		err = fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	Require(t, "Docker", err)
}

// RequireQEMU needs qemu-system-x86_64 on PATH.
func RequireQEMU(t testing.TB) {
	t.Helper()
	_, err := exec.LookPath("qemu-system-x86_64")
	Require(t, "QEMU (apt-get install qemu-system-x86)", err)
}

// RunID returns a fresh run id for one test, e.g. "t-docker-1732550000123".
func RunID(t testing.TB, prefix string) string {
	t.Helper()
	return fmt.Sprintf("t-%s-%d", prefix, time.Now().UnixNano()%1_000_000_000_000)
}
