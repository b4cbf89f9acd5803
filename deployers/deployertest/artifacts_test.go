package deployertest_test

import (
	"os"
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
}
