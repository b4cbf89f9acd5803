package ecs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/deployers/internal/engine"
)

// TestBuildOnTheLocalEngineIsForTheAskedPlatform builds a FROM-scratch
// image on the local Docker engine for linux/amd64 (this machine's) and
// for linux/arm64, and checks what the engine stamped: the asked platform,
// or, where the engine ignores the request (the classic builder of older
// engines), the refusal that names both platforms. Nothing is pushed.
func TestBuildOnTheLocalEngineIsForTheAskedPlatform(t *testing.T) {
	c, err := engine.NewClient()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
		cancel()
	}
	deployertest.Require(t, "a Docker engine", err)
	t.Cleanup(func() { c.Close() })
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY Dockerfile /\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runID := deployertest.RunID(t, "ecs-platform")
	p := &DockerPusher{API: c}
	for _, platform := range []string{"linux/amd64", "linux/arm64"} {
		ref := "computeladder-" + runID + ":" + strings.ReplaceAll(platform, "/", "-")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		id, err := p.build(ctx, Image{ContextDir: dir, Ref: ref, Labels: engine.Labels(runID, deployers.Container), Platform: platform})
		if id != "" {
			t.Cleanup(func() {
				_, _ = c.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{PruneChildren: true})
			})
		}
		if err == nil {
			ins, ierr := c.ImageInspect(ctx, ref)
			if ierr != nil || ins.Os+"/"+ins.Architecture != platform {
				t.Errorf("%s: built %s/%s (%v)", platform, ins.Os, ins.Architecture, ierr)
			}
			t.Logf("%s: built and stamped %s", platform, platform)
		} else if !strings.Contains(err.Error(), "although "+platform+" was asked") {
			t.Errorf("%s: %v, want the image or the refusal naming both platforms", platform, err)
		} else {
			t.Logf("%s: refused: %v", platform, err)
		}
		cancel()
		if platform == "linux/amd64" && err != nil {
			t.Errorf("building for this machine's own platform failed: %v", err)
		}
	}
}
