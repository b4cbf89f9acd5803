package ladder

import (
	"context"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
)

// slowTeardown is a backend whose teardown takes longer than the run's
// default limit (EC2's terminate wait) and says so in its Info.
type slowTeardown struct {
	*fakeDeployer
	takes, budget time.Duration
}

func (s slowTeardown) Info() deployers.Info {
	i := s.fakeDeployer.Info()
	i.TeardownBudget = s.budget
	return i
}

func (s slowTeardown) Teardown(ctx context.Context, d *deployers.Deployment) error {
	select {
	case <-ctx.Done():
		return ctx.Err() // cut short: what it holds is abandoned
	case <-time.After(s.takes):
	}
	return s.fakeDeployer.Teardown(ctx, d)
}

// TestTeardownGetsTheBackendsBudget: the run's fixed teardown limit must
// not abandon what the backend's longer, declared budget would remove.
func TestTeardownGetsTheBackendsBudget(t *testing.T) {
	for _, tc := range []struct {
		budget  time.Duration
		wantErr bool
	}{
		{0, true},                // no budget declared: the run's limit cuts it short
		{2 * time.Second, false}, // the budget covers it
	} {
		slow := slowTeardown{fakeDeployer: newFake(deployers.Container), takes: 300 * time.Millisecond, budget: tc.budget}
		cfg := baseConfig(map[deployers.Variant]deployers.Deployer{deployers.Container: slow})
		cfg.Runs, cfg.Duration, cfg.Warmup = 1, 0, 0
		cfg.TeardownTimeout = 50 * time.Millisecond
		run, err := Run(context.Background(), cfg)
		if run == nil {
			t.Fatalf("budget %s: no results (%v)", tc.budget, err)
		}
		td := run.Variants[0].Teardown
		if (td.Error != "") != tc.wantErr {
			t.Errorf("budget %s: teardown error %q, want error %v", tc.budget, td.Error, tc.wantErr)
		}
		if !tc.wantErr && len(td.Leftovers) != 0 {
			t.Errorf("budget %s: left %v", tc.budget, td.Leftovers)
		}
		_, _ = slow.fakeDeployer.Sweep(context.Background(), "")
	}
}
