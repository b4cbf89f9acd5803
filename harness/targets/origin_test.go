package targets

import (
	"testing"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awslambda"
	"github.com/computeladder/computeladder/deployers/docker"
	"github.com/computeladder/computeladder/deployers/ec2"
	"github.com/computeladder/computeladder/deployers/ecs"
	"github.com/computeladder/computeladder/deployers/qemu"
	"github.com/computeladder/computeladder/deployers/rie"
)

// Startup runs from the call that asks the platform to run the prepared
// artifact to the first HTTP 200; everything before it is preparation.
// Each backend states where that call is: the table pins every origin, so
// that moving one is a decision this test makes visible. Each backend's
// own tests check that its deployments measure from it.
func TestStartupOrigins(t *testing.T) {
	for _, tc := range []struct {
		backend string
		origin  string
		call    string // the platform call that follows the origin
		want    string
		prep    []string
	}{
		{"docker", docker.StartupOrigin, "docker create", docker.PhaseBuilt, []string{docker.PreparationBuild, docker.PreparationReused}},
		{"rie", rie.StartupOrigin, "the first invoke of a new environment", rie.PhaseGatewayListening, []string{rie.PreparationBuild, rie.PreparationReused}},
		{"qemu", qemu.StartupOrigin, "the QEMU process", qemu.PhaseQEMUStarted, []string{qemu.Preparation, qemu.PreparationProbe}},
		{"ec2", ec2.StartupOrigin, "RunInstances", ec2.PhaseRunInstances, []string{ec2.Preparation}},
		{"ecs", ecs.StartupOrigin, "RunTask", ecs.PhaseRunTask, []string{ecs.Preparation}},
		{"awslambda", awslambda.StartupOrigin, "the first invoke of a new environment", awslambda.PhaseURLCreated, []string{awslambda.PreparationRole, awslambda.PreparationGivenRole}},
	} {
		t.Run(tc.backend, func(t *testing.T) {
			if tc.origin != tc.want {
				t.Errorf("%s starts its startup at %q, want %q (just before %s)", tc.backend, tc.origin, tc.want, tc.call)
			}
			// "deploy" is when Deploy was called: counting from it would
			// put the preparation into the startup.
			if tc.origin == "" || tc.origin == "deploy" || tc.origin == deployers.PhaseFirst200 {
				t.Errorf("%s: origin %q is not a platform call", tc.backend, tc.origin)
			}
			for _, p := range tc.prep {
				if p == "" {
					t.Errorf("%s: an unnamed preparation", tc.backend)
				}
			}
		})
	}
}
