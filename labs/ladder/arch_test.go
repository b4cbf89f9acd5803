package ladder

import (
	"context"
	"sync"
	"testing"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
)

// archFake records the architecture of the artifacts it was given and
// names an accelerator, as the microVM does.
type archFake struct {
	*fakeDeployer
	mu    sync.Mutex
	arch  []string
	accel string
}

func (f *archFake) Deploy(ctx context.Context, spec deployers.Spec) (*deployers.Deployment, error) {
	f.mu.Lock()
	f.arch = append(f.arch, spec.Artifacts.Arch)
	f.mu.Unlock()
	d, err := f.fakeDeployer.Deploy(ctx, spec)
	if d != nil {
		d.Accel = f.accel
	}
	return d, err
}

// TestPerVariantArtifacts: each variant deploys its own artifacts when the
// config gives some (the microVM for this machine's architecture, the
// container for the engine's), and the results record the architecture and
// the accelerator in typed fields.
func TestPerVariantArtifacts(t *testing.T) {
	vm := &archFake{fakeDeployer: newFake(deployers.VM), accel: "hvf"}
	ctr := &archFake{fakeDeployer: newFake(deployers.Container)}
	cfg := baseConfig(map[deployers.Variant]deployers.Deployer{deployers.VM: vm, deployers.Container: ctr})
	cfg.Spec.Artifacts = &artifact.Set{Arch: "amd64"}
	cfg.Artifacts = map[deployers.Variant]*artifact.Set{deployers.VM: {Arch: "arm64"}}
	cfg.Duration, cfg.Warmup = 0, 0
	run, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(vm.arch) != cfg.Runs || vm.arch[0] != "arm64" || ctr.arch[0] != "amd64" {
		t.Errorf("deployed arches: vm %v, container %v; want arm64 and amd64", vm.arch, ctr.arch)
	}
	want := map[deployers.Variant][2]string{deployers.VM: {"arm64", "hvf"}, deployers.Container: {"amd64", ""}}
	for _, vr := range run.Variants {
		if got := [2]string{vr.Arch, vr.Accel}; got != want[vr.Variant] {
			t.Errorf("%s: arch, accel = %q, want %q", vr.Variant, got, want[vr.Variant])
		}
	}
}
