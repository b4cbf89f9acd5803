package checkout

import (
	"os"
	"testing"

	"github.com/computeladder/computeladder/harness/load"
)

// TestMain lets this test binary serve as the load worker that the steady
// traffic runs in.
func TestMain(m *testing.M) {
	load.ServeWorkerIfAsked()
	os.Exit(m.Run())
}
