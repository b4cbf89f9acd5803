package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/testcontainers/testcontainers-go/modules/localstack"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/results"
	"github.com/computeladder/computeladder/infra"
)

// localstackImage is the image the test runs (the compose file's pinned
// version); it is never pulled.
const localstackImage = infra.LocalStackImage

// TestRunOnLocalStack runs the VM and function variants against a real
// LocalStack, started with testcontainers-go, when its image is on this
// machine. LocalStack's image cannot be pulled everywhere (and needs an
// auth token since 2026), so without it the test skips — also under CI.
func TestRunOnLocalStack(t *testing.T) {
	if err := exec.Command("docker", "image", "inspect", localstackImage).Run(); err != nil {
		t.Skipf("skipping: LocalStack image %s is not present (docker pull it, with LOCALSTACK_AUTH_TOKEN set)", localstackImage)
	}
	ctx := context.Background()
	ls, err := localstack.Run(ctx, localstackImage)
	t.Cleanup(func() { _ = ls.Terminate(context.Background()) })
	if err != nil {
		t.Fatal(err)
	}
	host, err := ls.Host(ctx)
	if err != nil {
		t.Fatal(err)
	}
	port, err := ls.MappedPort(ctx, "4566/tcp")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + host + ":" + port.Port()
	for _, v := range []deployers.Variant{deployers.VM, deployers.Lambda} {
		t.Run(string(v), func(t *testing.T) {
			out := t.TempDir()
			runID := "t-localstack-" + string(v)
			if _, err := run(t, "run", string(v), "--target", "localstack", "--endpoint", endpoint,
				"--runs", "1", "--quiet", "--out", out, "--run-id", runID); err != nil {
				t.Fatalf("run %s on LocalStack: %v", v, err)
			}
			got, err := results.ReadFile(filepath.Join(out, runID, "results.json"))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Variants) != 1 || got.Variants[0].Variant != v {
				t.Fatalf("results hold %d variants, want %s alone", len(got.Variants), v)
			}
			if vr := got.Variants[0]; vr.Error != "" || len(vr.Teardown.Leftovers) > 0 {
				t.Fatalf("%s on LocalStack: error %q, left %v", v, vr.Error, vr.Teardown.Leftovers)
			}
		})
	}
}
