package main

import (
	"os"
	"testing"

	"github.com/computeladder/computeladder/harness/load"
)

// TestMain lets this test binary serve as the load worker that the warm
// load of the labs these tests run goes to, as the binary's main does.
func TestMain(m *testing.M) {
	load.ServeWorkerIfAsked()
	os.Exit(m.Run())
}
