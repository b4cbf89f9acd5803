// Package kittest helps the labs' smoke tests: it starts them (Smoke:
// Docker required, a run id, a deadline), opens deployers as the labs do
// (through harness/targets), sweeps what a failing test leaves, and checks
// on the platforms that a run left nothing.
package kittest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/results"
	"github.com/computeladder/computeladder/harness/targets"
)

// Smoke starts a lab's smoke test: it needs Docker and each of requires
// (deployertest.RequireQEMU, say): on a laptop a missing one skips the test
// with a one-line reason, under CI=true it fails it (deployertest.Require).
// It returns a run id that starts with prefix.
func Smoke(t testing.TB, prefix string, requires ...func(testing.TB)) string {
	t.Helper()
	deployertest.RequireDocker(t)
	for _, r := range requires {
		r(t)
	}
	return deployertest.RunID(t, prefix)
}

// Within is a context that ends after d, or with the test.
func Within(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// OwnArtifacts builds the app's artifacts for this test alone, not in
// deployertest's shared cache: other packages' tests rebuild that
// concurrently, and a lab whose app needs this tree's adapters (the orders
// store) must not get another's.
func OwnArtifacts(t testing.TB, ctx context.Context) *artifact.Set {
	t.Helper()
	arts, err := artifact.Build(ctx, artifact.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatalf("build artifacts: %v", err)
	}
	return arts
}

// Local opens the local deployer of v with opts; when the test ends, what
// still carries runID on it is swept (a failed assertion must not leave
// containers behind) and it is closed.
func Local(t testing.TB, runID string, v deployers.Variant, opts targets.Options) deployers.Deployer {
	t.Helper()
	return LocalAs[deployers.Deployer](t, runID, v, opts)
}

// LocalAs is Local for a test that needs more of the deployer: T.
func LocalAs[T deployers.Deployer](t testing.TB, runID string, v deployers.Variant, opts targets.Options) T {
	t.Helper()
	d, err := targets.LocalAs[T](context.Background(), v, opts)
	if err != nil {
		t.Fatalf("open the local %s deployer: %v", v, err)
	}
	t.Cleanup(func() {
		SweepAll(t, runID, d)
		_ = targets.Close(d)
	})
	return d
}

// SweepAll sweeps runID from every sweeper; an error fails the test.
func SweepAll(t testing.TB, runID string, sweepers ...kit.Sweeper) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := kit.Sweep(ctx, sweepers, runID, false, &out); err != nil {
		t.Errorf("sweep run %s: %v\n%s", runID, err, out.String())
	}
}

// NothingLeft fails the test when a sweeper still lists anything that
// carries runID: asked of the platforms, never of the run's memory.
func NothingLeft(t testing.TB, runID string, sweepers ...kit.Sweeper) {
	t.Helper()
	for _, s := range sweepers {
		rs, err := s.List(context.Background(), runID)
		if err != nil {
			t.Errorf("list %T: %v", s, err)
		}
		if len(rs) > 0 {
			t.Errorf("left after the run: %v", rs)
		}
	}
}

// Execute runs cmd with args and returns what it printed (stdout and
// stderr) and its error.
func Execute(t testing.TB, cmd *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// Sweepers are every local deployer, opened for sweeping as `computeladder
// sweep` opens them, and closed when the test ends.
func Sweepers(t testing.TB) []kit.Sweeper {
	t.Helper()
	set, err := targets.OpenForSweep(context.Background(), "local", targets.Options{})
	if err != nil {
		t.Fatalf("open the local deployers: %v", err)
	}
	t.Cleanup(func() { _ = set.Close() })
	var out []kit.Sweeper
	for _, v := range deployers.Variants {
		if d := set.Deployers[v]; d != nil {
			out = append(out, d)
		}
	}
	return out
}

// ClaimsHold fails the test for each named claim that did not hold (or
// that the run did not judge).
func ClaimsHold(t testing.TB, claims results.Claims, names ...string) {
	t.Helper()
	for _, name := range names {
		if c := claims.Get(name); !c.Holds {
			t.Errorf("claim %s does not hold: %s", name, c.Detail)
		}
	}
}

// TornDown fails the test when the run's own teardown reported an error
// or leftovers, or when a sweeper still lists anything carrying runID.
func TornDown(t testing.TB, td results.FlatTeardown, runID string, sweepers ...kit.Sweeper) {
	t.Helper()
	if td.TeardownError != "" || len(td.Leftovers) > 0 {
		t.Errorf("teardown: %q, left %v", td.TeardownError, td.Leftovers)
	}
	NothingLeft(t, runID, sweepers...)
}
