package storm

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit/kittest"
	"github.com/computeladder/computeladder/harness/targets"
	"github.com/computeladder/computeladder/labs/connection-storm/pgserver"
	"github.com/computeladder/computeladder/labs/connection-storm/pgserver/pgservertest"
)

// TestStormShort runs the lab in its short mode: the function's storm gets
// connections refused, the container's shared pool none, and nothing with
// the run id is left (deployers, PostgreSQL's directory).
func TestStormShort(t *testing.T) {
	runID := kittest.Smoke(t, "storm", pgservertest.Require)
	ctx := kittest.Within(t, 3*time.Minute)
	gw, subnet := pgservertest.Bridge(t, ctx, runID)
	arts := kittest.OwnArtifacts(t, ctx) // with the orders store
	fn := kittest.Local(t, runID, deployers.Lambda, targets.Options{MaxConcurrency: DefaultBurst})
	ctr := kittest.Local(t, runID, deployers.Container, targets.Options{})
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
