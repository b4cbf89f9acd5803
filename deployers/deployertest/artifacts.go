package deployertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers/artifact"
)

var artifacts struct {
	mu   sync.Mutex
	sets map[string]*built // by arch
}

type built struct {
	once sync.Once
	set  *artifact.Set
	err  error
}

// Artifacts builds the app's artifacts for this host's architecture once
// per test process into a cache directory shared by every test process,
// and returns them. Builds are reproducible and written atomically, so test
// binaries that build concurrently end up with the same bytes. Without Go on
// PATH it skips (or fails under CI=true); a failed build fails the test.
func Artifacts(t testing.TB) *artifact.Set {
	t.Helper()
	return ArtifactsFor(t, runtime.GOARCH)
}

// ArtifactsFor is Artifacts for arch (a GOARCH: amd64 or arm64).
func ArtifactsFor(t testing.TB, arch string) *artifact.Set {
	t.Helper()
	_, err := exec.LookPath("go")
	Require(t, "the go command (to build the artifacts)", err)
	artifacts.mu.Lock()
	if artifacts.sets == nil {
		artifacts.sets = map[string]*built{}
	}
	b := artifacts.sets[arch]
	if b == nil {
		b = &built{}
		artifacts.sets[arch] = b
	}
	artifacts.mu.Unlock()
	b.once.Do(func() {
		dir, err := cacheDir()
		if err != nil {
			b.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		b.set, b.err = artifact.Build(ctx, artifact.Options{Arch: arch, OutDir: dir})
	})
	if b.err != nil {
		t.Fatalf("build artifacts (%s): %v", arch, b.err)
	}
	return b.set
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
