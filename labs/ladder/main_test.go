package ladder

import (
	"os"
	"testing"

	"github.com/computeladder/computeladder/harness/load"
)

// TestMain lets this test binary serve as the load worker that the warm
// load runs in.
func TestMain(m *testing.M) {
	load.ServeWorkerIfAsked()
	os.Exit(m.Run())
}
