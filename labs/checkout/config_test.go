package checkout

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/rie"
	"github.com/computeladder/computeladder/harness/cost"
)

// TestConfigWarmup: a zero Warmup is the default, NoWarmup is none (the
// CLI's --warmup 0 once silently meant 2 s), and a bad config names what
// is wrong.
func TestConfigWarmup(t *testing.T) {
	pricing := &cost.Pricing{}
	base := func() Config {
		return Config{RunID: "20261130-120000-abcdef", DBHost: "172.17.0.1", DBNet: "172.17.0.0/16", Pricing: pricing}
	}
	for _, tc := range []struct {
		in, want time.Duration
	}{{0, DefaultWarmup}, {NoWarmup, 0}, {5 * time.Second, 5 * time.Second}} {
		c := base()
		c.Function, c.Container = fakeFunction{}, fakeFunction{}
		c.Warmup = tc.in
		if err := c.defaults(); err != nil {
			t.Fatalf("Warmup %s: %v", tc.in, err)
		}
		if c.Warmup != tc.want {
			t.Errorf("Warmup %s became %s, want %s", tc.in, c.Warmup, tc.want)
		}
	}
	c := base()
	if err := c.defaults(); err == nil || !strings.Contains(err.Error(), "need a function and a container") {
		t.Errorf("no deployers: %v", err)
	}
	c = base()
	c.Function, c.Container, c.Burst = fakeFunction{}, fakeFunction{}, 1
	if err := c.defaults(); err == nil || !strings.Contains(err.Error(), "burst 1") {
		t.Errorf("a burst of 1: %v", err)
	}
}

// fakeFunction satisfies Function for the config's checks; nothing calls it.
type fakeFunction struct{ deployers.Deployer }

func (fakeFunction) Environments(context.Context, *deployers.Deployment) ([]rie.Environment, error) {
	return nil, nil
}
