// Package pgservertest readies the smoke tests of the labs that run
// PostgreSQL beside their deployments (connection-storm, checkout).
package pgservertest

import (
	"context"
	"testing"

	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/kit/kittest"
	"github.com/computeladder/computeladder/labs/connection-storm/pgserver"
)

// Require needs PostgreSQL's server binaries: on a laptop without them the
// test is skipped with a one-line reason, under CI=true it fails
// (deployertest.Require). Pass it to kittest.Smoke.
func Require(t testing.TB) {
	t.Helper()
	_, err := pgserver.BinDir()
	deployertest.Require(t, "PostgreSQL", err)
}

// Bridge returns the Docker bridge's gateway and subnet, where the lab's
// PostgreSQL listens for the deployments, and makes sure that no server of
// runID outlives the test, also when an assertion fails.
func Bridge(t testing.TB, ctx context.Context, runID string) (gateway, subnet string) {
	t.Helper()
	gateway, subnet, err := pgserver.Bridge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kittest.SweepAll(t, runID, pgserver.Sweeper{}) })
	return gateway, subnet
}
