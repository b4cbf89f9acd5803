package targets

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/deployers/docker"
)

func TestDockerVersionIsTheEngines(t *testing.T) {
	deployertest.RequireDocker(t)
	c, err := docker.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.ServerVersion(context.Background(), client.ServerVersionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := DockerVersion(context.Background()); got == "" || got != v.Version {
		t.Errorf("DockerVersion = %q, the engine says %q", got, v.Version)
	}
}

// No engine: no version, and no error that would stop a run that needs
// none.
func TestDockerVersionWithoutEngine(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no.sock"))
	if got := DockerVersion(context.Background()); got != "" {
		t.Errorf("DockerVersion with no engine = %q, want empty", got)
	}
}
