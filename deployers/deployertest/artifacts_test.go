package deployertest_test

import (
	"os"
	"runtime"
	"testing"

	"github.com/computeladder/computeladder/deployers/deployertest"
)

func TestArtifactsBuildsOnce(t *testing.T) {
	t.Setenv("COMPUTELADDER_TEST_ARTIFACTS", t.TempDir())
	first := deployertest.Artifacts(t)
	for _, p := range first.Files() {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("artifact missing: %v", err)
		}
	}
	if second := deployertest.Artifacts(t); second != first {
		t.Errorf("second call built again: got %p, want the cached %p", second, first)
	}
	if first.Arch != runtime.GOARCH {
		t.Errorf("Artifacts built for %s, want this host's %s", first.Arch, runtime.GOARCH)
	}
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	if o := deployertest.ArtifactsFor(t, other); o.Arch != other || o == first || o.VMBinary == first.VMBinary {
		t.Errorf("ArtifactsFor(%s) = %+v", other, o)
	}
}
