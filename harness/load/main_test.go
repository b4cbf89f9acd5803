package load

import (
	"os"
	"testing"
)

// TestMain lets this test binary serve as the load worker RunIsolated starts.
func TestMain(m *testing.M) {
	ServeWorkerIfAsked()
	os.Exit(m.Run())
}
