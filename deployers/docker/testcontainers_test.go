package docker

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/computeladder/computeladder/app/apptest"
	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/deployers/internal/engine"
)

// TestImageServesAppUnderTestcontainers runs the image BuildImage makes with
// testcontainers-go instead of our deployer: the behaviour table passing
// there proves the image, not our run settings, carries the app.
func TestImageServesAppUnderTestcontainers(t *testing.T) {
	runID := deployertest.RunID(t, "dockertc")
	d := newTestDeployer(t, runID)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	tag := ImageRepo + ":" + runID + "-tc"
	labels := engine.Labels(runID, deployers.Container)
	_, err := engine.BuildImage(ctx, d.api, testArtifacts(t).ContainerContext, tag, labels)
	t.Cleanup(func() {
		if err := d.removeImage(context.Background(), tag, false); err != nil {
			t.Error(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	ctr, err := testcontainers.Run(ctx, tag,
		testcontainers.WithExposedPorts("8080/tcp"),
		testcontainers.WithLabels(labels),
		// Loopback only, as the deployer publishes it.
		testcontainers.WithHostConfigModifier(func(h *container.HostConfig) {
			h.PortBindings = network.PortMap{appPort: {{HostIP: netip.MustParseAddr("127.0.0.1")}}}
		}),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/healthz").WithPort("8080/tcp").
			WithPollInterval(10*time.Millisecond).WithStartupTimeout(30*time.Second)),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatal(err)
	}
	endpoint, err := ctr.PortEndpoint(ctx, "8080/tcp", "http")
	if err != nil {
		t.Fatal(err)
	}
	apptest.Run(t, "container", apptest.URLDoer(endpoint, nil))

	// Our labels reach the container, so List (and Sweep) see it too.
	rs, err := d.List(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, r := range rs {
		found = found || (r.Kind == KindContainer && r.ID == ctr.GetContainerID())
	}
	if !found {
		t.Errorf("List(%s) = %v, lacks the testcontainers container %s", runID, rs, ctr.GetContainerID())
	}
}
