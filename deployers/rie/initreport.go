package rie

import (
	"context"
	"time"

	"github.com/computeladder/computeladder/deployers"
)

// LastInitDuration returns the emulator's Init Duration (its INIT REPORT)
// of the most recently started environment of d, the one that served the
// latest cold start, and whether that environment reported one.
func (dp *Deployer) LastInitDuration(ctx context.Context, d *deployers.Deployment) (time.Duration, bool) {
	envs, err := dp.Environments(ctx, d)
	if err != nil || len(envs) == 0 {
		return 0, false
	}
	last := envs[len(envs)-1]
	return last.InitDuration, last.InitDuration > 0
}
