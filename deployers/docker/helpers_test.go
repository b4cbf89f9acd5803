package docker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/deployers/deployertest"
)

func TestMain(m *testing.M) {
	// Ryuk, testcontainers' reaper, is an image that cannot be pulled here;
	// our tests clean up after themselves (and Sweep finds what they miss).
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	// Inside a container (as in CI here) testcontainers would reach published
	// ports through the bridge gateway, which is unreachable; they are on
	// the loopback.
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
	os.Exit(m.Run())
}

// testArtifacts returns the app's artifacts, built once per test process.
func testArtifacts(t testing.TB) *artifact.Set { return deployertest.Artifacts(t) }

// contextWith returns the app's container build context with its Dockerfile
// replaced by dockerfile, for tests that need a broken or odd image.
func contextWith(t testing.TB, dockerfile string) *artifact.Set {
	t.Helper()
	set := *testArtifacts(t)
	dir := t.TempDir()
	bin, err := os.ReadFile(filepath.Join(set.ContainerContext, artifact.ContainerBin))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, artifact.ContainerBin), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	set.ContainerContext = dir
	return &set
}

// newTestDeployer returns a deployer on the real engine, skipping without
// Docker, and sweeps the run's leftovers when the test ends whatever happens.
func newTestDeployer(t testing.TB, runID string, opts ...Option) *Deployer {
	t.Helper()
	deployertest.RequireDocker(t)
	d, err := New(opts...)
	t.Cleanup(func() {
		if d == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if rs, err := d.Sweep(ctx, runID); err != nil || len(rs) > 0 {
			t.Errorf("leftovers of run %s swept at the end: %v (err %v)", runID, rs, err)
		}
		d.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// requireNothingLeft asserts through the Docker API, independently of List,
// that no container or image carries runID.
func requireNothingLeft(t *testing.T, runID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f := client.Filters{}.Add("label", deployers.LabelRunID+"="+runID)
	cs, err := c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range cs.Items {
		t.Errorf("container left behind: %s %v %s", x.ID[:12], x.Names, x.State)
	}
	is, err := c.ImageList(ctx, client.ImageListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range is.Items {
		t.Errorf("image left behind: %s %v", x.ID, x.RepoTags)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// dockerCLI runs the docker command line and returns its trimmed output.
func dockerCLI(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func labelFilter(runID string) string {
	return fmt.Sprintf("label=%s=%s", deployers.LabelRunID, runID)
}
