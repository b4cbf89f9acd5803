package targets

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
)

func TestOpenRejectsUnknownTargets(t *testing.T) {
	for _, tc := range []struct{ target, want string }{
		{"gcp", `unknown target "gcp"`},
		{"", `unknown target ""`},
	} {
		_, err := Open(context.Background(), tc.target, deployers.Variants, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%s) error = %v, want %q", tc.target, err, tc.want)
		}
	}
}

func TestMissingQEMUIsAPrereqError(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := CheckLocal(context.Background(), []deployers.Variant{deployers.VM})
	var pe *PrereqError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "apt-get install -y --no-install-recommends qemu-system-x86") {
		t.Fatalf("error = %v, want a PrereqError naming the install command", err)
	}
}

func TestMissingDockerIsAPrereqError(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	err := CheckLocal(context.Background(), []deployers.Variant{deployers.Container})
	var pe *PrereqError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "Docker is not reachable") {
		t.Fatalf("error = %v, want a PrereqError about Docker", err)
	}
}

// Sweep must work with whatever is reachable: building the deployers
// needs neither Docker nor QEMU.
func TestOpenForSweepNeedsNothingRunning(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	t.Setenv("COMPUTELADDER_STATE_DIR", t.TempDir())
	set, err := OpenForSweep(context.Background(), "local", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	if len(set.Deployers) != len(deployers.Variants) {
		t.Fatalf("deployers = %d, want one per variant", len(set.Deployers))
	}
	// The microVM backend lists from its state dir: empty, not an error.
	rs, err := set.Deployers[deployers.VM].List(context.Background(), "")
	if err != nil || len(rs) != 0 {
		t.Fatalf("List = %v, %v; want nothing and no error", rs, err)
	}
}

// On LocalStack the container variant runs on the local engine, and its
// description says so.
func TestLocalStackContainerIsLocalAndSaysSo(t *testing.T) {
	deployertest.RequireDocker(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	set, err := Open(context.Background(), "localstack", []deployers.Variant{deployers.Container}, Options{Endpoint: "http://127.0.0.1:4566"})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	info := set.Deployers[deployers.Container].Info()
	if info.Name != "docker" || !strings.Contains(info.Description, "run locally: LocalStack's free edition has no ECS") {
		t.Fatalf("container on localstack: %+v", info)
	}
}
