package docker

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
)

// fakeAPI records the calls it gets. Methods not overridden fail the test:
// the embedded nil interface is never called.
type fakeAPI struct {
	API
	t     *testing.T
	calls []string
	// removeErr is returned by ContainerRemove and ImageRemove.
	removeErr error
}

func (f *fakeAPI) record(call string) { f.calls = append(f.calls, call) }

func (f *fakeAPI) ImageBuild(context.Context, io.Reader, client.ImageBuildOptions) (client.ImageBuildResult, error) {
	f.record("build")
	return client.ImageBuildResult{}, errors.New("fake: no builds")
}

func (f *fakeAPI) ContainerStop(_ context.Context, id string, _ client.ContainerStopOptions) (client.ContainerStopResult, error) {
	f.record("stop " + id)
	return client.ContainerStopResult{}, f.removeErr
}

func (f *fakeAPI) ContainerRemove(_ context.Context, id string, _ client.ContainerRemoveOptions) (client.ContainerRemoveResult, error) {
	f.record("rm " + id)
	return client.ContainerRemoveResult{}, f.removeErr
}

func (f *fakeAPI) ImageRemove(_ context.Context, ref string, _ client.ImageRemoveOptions) (client.ImageRemoveResult, error) {
	f.record("rmi " + ref)
	return client.ImageRemoveResult{}, f.removeErr
}

func TestDeployRejectsBadSpecBeforeCallingDocker(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := &artifact.Set{ContainerContext: dir}
	tests := []struct {
		name    string
		spec    deployers.Spec
		wantErr string
	}{
		{"empty run id", deployers.Spec{Artifacts: good}, "run id"},
		{"run id with upper case", deployers.Spec{RunID: "Run1", Artifacts: good}, "run id"},
		{"no artifacts", deployers.Spec{RunID: "r1"}, "no artifacts"},
		{"no container context", deployers.Spec{RunID: "r1", Artifacts: &artifact.Set{}}, "no container build context"},
		{"negative memory", deployers.Spec{RunID: "r1", Artifacts: good, MemoryMB: -1}, "negative"},
		{"too little memory", deployers.Spec{RunID: "r1", Artifacts: good, MemoryMB: 4}, "at least 6 MB"},
		{"bad env name", deployers.Spec{RunID: "r1", Artifacts: good, Env: map[string]string{"A=B": "c"}}, "environment variable"},
		{"missing context dir", deployers.Spec{RunID: "r1", Artifacts: &artifact.Set{ContainerContext: filepath.Join(dir, "nope")}}, "make build"},
		{"context without Dockerfile", deployers.Spec{RunID: "r1", Artifacts: &artifact.Set{ContainerContext: t.TempDir()}}, "no Dockerfile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeAPI{t: t}
			d, err := New(WithClient(fake))
			if err != nil {
				t.Fatal(err)
			}
			dep, err := d.Deploy(context.Background(), tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Deploy error = %v, want one containing %q", err, tt.wantErr)
			}
			if dep != nil || len(fake.calls) > 0 {
				t.Errorf("bad input gave deployment %v and Docker calls %v", dep, fake.calls)
			}
		})
	}
}

func TestTeardownTreatsNotFoundAsRemovedAndJoinsOtherErrors(t *testing.T) {
	dep := &deployers.Deployment{Resources: []deployers.Resource{
		{Kind: KindImage, ID: "img:tag"},
		{Kind: KindContainer, ID: "c1"},
	}}
	tests := []struct {
		name      string
		removeErr error
		wantErrs  []string // substrings; none means success
	}{
		{"removed", nil, nil},
		{"already gone", cerrdefs.ErrNotFound.WithMessage("No such container"), nil},
		{"engine error", errors.New("boom"), []string{"stop container c1: boom", "remove container c1: boom", "remove image img:tag: boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeAPI{t: t, removeErr: tt.removeErr}
			d, err := New(WithClient(fake))
			if err != nil {
				t.Fatal(err)
			}
			err = d.Teardown(context.Background(), dep)
			// Containers go before the image they use, whatever the order
			// of Resources.
			if want := []string{"stop c1", "rm c1", "rmi img:tag"}; !slices.Equal(fake.calls, want) {
				t.Errorf("calls %v, want %v", fake.calls, want)
			}
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("Teardown = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Teardown = nil, want an error")
			}
			for _, w := range tt.wantErrs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Teardown error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestOptionsRejectBadValues(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
	}{
		{"nil client", WithClient(nil)},
		{"nil logger", WithLogger(nil)},
		{"zero poll interval", WithPollInterval(0)},
		{"port 0", WithHostPort(0)},
		{"port too big", WithHostPort(70000)},
		{"negative stop timeout", WithStopTimeout(-1)},
	}
	for _, tt := range tests {
		if _, err := New(WithClient(&fakeAPI{t: t}), tt.opt); err == nil {
			t.Errorf("%s: New accepted it", tt.name)
		}
	}
}
