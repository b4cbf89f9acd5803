package storm

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/kit/kittest"
	"github.com/computeladder/computeladder/harness/targets"
	"github.com/computeladder/computeladder/labs/connection-storm/pgserver"
)

// TestStormShort runs the lab in its short mode: the function's storm gets
// connections refused, the container's shared pool none, and nothing with
// the run id is left (deployers, PostgreSQL's directory).
func TestStormShort(t *testing.T) {
	deployertest.RequireDocker(t)
	_, err := pgserver.BinDir()
	deployertest.Require(t, "PostgreSQL", err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	gw, subnet, err := Bridge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Its own artifacts, not deployertest's shared cache: other packages'
	// tests rebuild that concurrently, and this test needs this tree's
	// adapters (with the orders store).
	arts, err := artifact.Build(ctx, artifact.Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatalf("build artifacts: %v", err)
	}
	runID := deployertest.RunID(t, "storm")
	fn := kittest.Local(t, runID, deployers.Lambda, targets.Options{MaxConcurrency: DefaultBurst})
	ctr := kittest.Local(t, runID, deployers.Container, targets.Options{})
	// A failed assertion must not leave a server behind either.
	t.Cleanup(func() { kittest.SweepAll(t, runID, pgserver.Sweeper{}) })
	res, err := Run(ctx, Config{
		RunID: runID, Spec: deployers.Spec{Artifacts: arts}, Function: fn, Container: ctr,
		DBHost: gw, DBNet: subnet, Rounds: ShortRounds, Logf: t.Logf,
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	kittest.ClaimsHold(t, res.Claims, ClaimStormRefused, ClaimSharedNoErrors)
	// From the raw figures too: refusals on the function, more environments
	// than the seats allow pools for, and none on the container.
	storm, shared := res.Case(CaseStorm), res.Case(CaseShared)
	if storm.DBUnavailable == 0 || storm.WantedConnections <= res.Postgres.Available || storm.Created == 0 {
		t.Errorf("storm: %+v: want some created, some refused, and more wanted than %d seats", storm, res.Postgres.Available)
	}
	if shared.DBUnavailable != 0 || shared.Created != shared.Requests || shared.PeakServerConnections > shared.PoolSize {
		t.Errorf("shared pool: %+v: want every request created on at most %d connections", shared, shared.PoolSize)
	}
	kittest.TornDown(t, res.FlatTeardown, runID, fn, ctr, pgserver.Sweeper{})
	var md bytes.Buffer
	if err := Markdown(&md, res); err != nil || !strings.Contains(md.String(), ClaimStormRefused+": holds") {
		t.Errorf("markdown: %v\n%s", err, md.String())
	}
}
