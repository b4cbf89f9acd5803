package docker

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/deployers/deployertest"
)

// TestDeployFailuresCleanUp drives each way a deploy can fail on the real
// engine and checks that the error says what happened and that nothing
// labelled with the run is left, both by List and by a direct API query.
func TestDeployFailuresCleanUp(t *testing.T) {
	deployertest.RequireDocker(t)
	tests := []struct {
		name string
		// setup returns the spec fields and deployer options of the case.
		setup     func(t *testing.T, runID string) (*artifact.Set, map[string]string, []Option)
		ready     time.Duration // Spec.ReadyTimeout
		wantErr   []string
		wantIs    error
		wantPhase string        // last phase reached
		within    time.Duration // the failure must come before this
	}{
		{
			name: "build fails",
			setup: func(t *testing.T, runID string) (*artifact.Set, map[string]string, []Option) {
				// The LABEL step's intermediate image carries the run id, so
				// the check below also sees step images the build left.
				df := "FROM scratch\nCOPY app /app\nLABEL " + deployers.LabelRunID + "=" + runID + "\nCOPY missing-file /missing\n"
				return contextWith(t, df), nil, nil
			},
			wantErr:   []string{"build image", "missing-file"},
			wantPhase: PhaseDeploy,
			within:    time.Minute,
		},
		{
			name: "host port taken",
			setup: func(t *testing.T, runID string) (*artifact.Set, map[string]string, []Option) {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
				return testArtifacts(t), nil, []Option{WithHostPort(l.Addr().(*net.TCPAddr).Port)}
			},
			wantErr:   []string{"start container", "is taken"},
			wantPhase: PhaseCreated,
			within:    time.Minute,
		},
		{
			name: "app exits at start",
			setup: func(t *testing.T, runID string) (*artifact.Set, map[string]string, []Option) {
				return testArtifacts(t), map[string]string{"PORT": "not-a-port"}, nil
			},
			ready: time.Minute,
			// The app's own last words explain the exit.
			wantErr:   []string{"with code 1", `PORT=\"not-a-port\"`},
			wantIs:    ErrExited,
			wantPhase: PhaseStarted,
			within:    20 * time.Second, // far below the one-minute ready timeout
		},
		{
			name: "never ready",
			setup: func(t *testing.T, runID string) (*artifact.Set, map[string]string, []Option) {
				// The app listens on 9090; nothing answers behind 8080.
				return testArtifacts(t), map[string]string{"PORT": "9090"}, nil
			},
			ready:     1500 * time.Millisecond,
			wantErr:   []string{"not ready", "deadline exceeded", "ready timeout 1.5s", "listen on port 8080"},
			wantIs:    context.DeadlineExceeded,
			wantPhase: PhaseStarted,
			within:    20 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runID := deployertest.RunID(t, "dockerfail")
			set, env, opts := tt.setup(t, runID)
			d := newTestDeployer(t, runID, opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()

			start := time.Now()
			dep, err := d.Deploy(ctx, deployers.Spec{RunID: runID, Artifacts: set, Env: env, ReadyTimeout: tt.ready})
			took := time.Since(start)
			t.Cleanup(func() { _ = d.Teardown(context.Background(), dep) })
			if err == nil {
				t.Fatalf("Deploy succeeded at %s", dep.URL)
			}
			t.Logf("after %s: %v", took.Round(time.Millisecond), err)
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q", w)
				}
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error is not %v", tt.wantIs)
			}
			if took > tt.within {
				t.Errorf("failed after %s, want within %s", took, tt.within)
			}
			if dep == nil || len(dep.Phases) == 0 || dep.Phases[len(dep.Phases)-1].Name != tt.wantPhase {
				t.Errorf("partial deployment %+v, want last phase %s", dep, tt.wantPhase)
			}
			// Deploy cleaned up itself: nothing is left before any Teardown.
			if rs, err := d.List(ctx, runID); err != nil || len(rs) != 0 {
				t.Errorf("List after failed deploy = %v, %v; want nothing", rs, err)
			}
			requireNothingLeft(t, runID)
			if err := d.Teardown(ctx, dep); err != nil {
				t.Errorf("Teardown of the partial deployment: %v", err)
			}
		})
	}
}

// Ctrl-C during the image build: the engine finishes the build anyway, so
// Deploy waits for it and its cleanup removes the image — nothing is left.
func TestCancelDuringBuildLeavesNothing(t *testing.T) {
	runID := deployertest.RunID(t, "dockercancel")
	d := newTestDeployer(t, runID)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	dep, err := d.Deploy(ctx, deployers.Spec{RunID: runID, Artifacts: deployertest.Artifacts(t)})
	t.Cleanup(func() { _ = d.Teardown(context.Background(), dep) })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Deploy error = %v, want context.Canceled", err)
	}
	if left, err := d.List(context.Background(), runID); err != nil || len(left) > 0 {
		t.Fatalf("left after a cancelled build: %v (%v)", left, err)
	}
}
