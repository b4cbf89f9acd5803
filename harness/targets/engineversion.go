package targets

import (
	"context"
	"time"

	"github.com/computeladder/computeladder/deployers/docker"
)

// DockerVersion is the version of the Docker engine this machine reaches
// (as Setup finds it), for the results: "" when none answers within a
// few seconds. A run that deploys no container still records it — it
// describes the machine, and a class's runs differ by it.
func DockerVersion(ctx context.Context) string {
	e, err := docker.FindEngine()
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	v, err := engineVersion(ctx, e)
	if err != nil {
		return ""
	}
	return v.Version
}
