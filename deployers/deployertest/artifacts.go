package deployertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers/artifact"
)

var artifacts struct {
	once sync.Once
	set  *artifact.Set
	err  error
}

// Artifacts builds the app's artifacts (amd64) once per test process into a
// cache directory shared by every test process, and returns them. Builds
// are reproducible and written atomically, so test binaries that build
// concurrently end up with the same bytes. Without Go on PATH it skips (or
// fails under CI=true); a failed build fails the test.
func Artifacts(t testing.TB) *artifact.Set {
	t.Helper()
	_, err := exec.LookPath("go")
	Require(t, "the go command (to build the artifacts)", err)
	artifacts.once.Do(func() {
		dir, err := cacheDir()
		if err != nil {
			artifacts.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		artifacts.set, artifacts.err = artifact.Build(ctx, artifact.Options{OutDir: dir})
	})
	if artifacts.err != nil {
		t.Fatalf("build artifacts: %v", artifacts.err)
	}
	return artifacts.set
}

// cacheDir is the test artifact cache; COMPUTELADDER_TEST_ARTIFACTS
// overrides it.
func cacheDir() (string, error) {
	if d := os.Getenv("COMPUTELADDER_TEST_ARTIFACTS"); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("test artifact cache: %w (set COMPUTELADDER_TEST_ARTIFACTS)", err)
	}
	return filepath.Join(base, "computeladder", "test-artifacts"), nil
}
