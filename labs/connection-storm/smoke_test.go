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
	"github.com/computeladder/computeladder/deployers/docker"
	"github.com/computeladder/computeladder/deployers/rie"
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
	fn, ferr := rie.New(rie.WithMaxConcurrency(DefaultBurst))
	ctr, cerr := docker.New()
	t.Cleanup(func() {
		// A failed assertion must not leave containers or a server behind.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, dp := range []interface {
			Sweep(context.Context, string) ([]deployers.Resource, error)
			Close() error
		}{fn, ctr} {
			if dp == nil {
				continue
			}
			if _, err := dp.Sweep(ctx, runID); err != nil {
				t.Errorf("sweep: %v", err)
			}
			dp.Close()
		}
		if _, err := pgserver.Sweep(runID); err != nil {
			t.Errorf("sweep postgres: %v", err)
		}
	})
	if ferr != nil || cerr != nil {
		t.Fatal(ferr, cerr)
	}
	res, err := Run(ctx, Config{
		RunID: runID, Spec: deployers.Spec{Artifacts: arts}, Function: fn, Container: ctr,
		DBHost: gw, DBNet: subnet, Rounds: ShortRounds, Logf: t.Logf,
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, name := range []string{ClaimStormRefused, ClaimSharedNoErrors} {
		if c := res.Claim(name); !c.Holds {
			t.Errorf("claim %s does not hold: %s", name, c.Detail)
		}
	}
	// From the raw figures too: refusals on the function, more environments
	// than the seats allow pools for, and none on the container.
	storm, shared := res.Case(CaseStorm), res.Case(CaseShared)
	if storm.DBUnavailable == 0 || storm.WantedConnections <= res.Postgres.Available || storm.Created == 0 {
		t.Errorf("storm: %+v: want some created, some refused, and more wanted than %d seats", storm, res.Postgres.Available)
	}
	if shared.DBUnavailable != 0 || shared.Created != shared.Requests || shared.PeakServerConnections > shared.PoolSize {
		t.Errorf("shared pool: %+v: want every request created on at most %d connections", shared, shared.PoolSize)
	}
	if res.TeardownError != "" || len(res.Leftovers) > 0 {
		t.Errorf("teardown: %q, left %v", res.TeardownError, res.Leftovers)
	}
	for _, dp := range []deployers.Deployer{fn, ctr} {
		if left, err := dp.List(context.Background(), runID); err != nil || len(left) > 0 {
			t.Errorf("%s: List(%s) = %v, %v: want nothing", dp.Info().Name, runID, left, err)
		}
	}
	if dirs, err := pgserver.List(runID); err != nil || len(dirs) > 0 {
		t.Errorf("postgres left: %v, %v", dirs, err)
	}
	var md bytes.Buffer
	if err := Markdown(&md, res); err != nil || !strings.Contains(md.String(), ClaimStormRefused+": holds") {
		t.Errorf("markdown: %v\n%s", err, md.String())
	}
}
