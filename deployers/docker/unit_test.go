package docker

import (
	"archive/tar"
	"bytes"
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

func TestReadBuildStream(t *testing.T) {
	tests := []struct {
		name, stream, wantID, wantErr string
		wantSteps                     []string
	}{
		{
			name:      "success reports id and steps",
			stream:    `{"stream":"Step 1/2 : FROM scratch\n"}{"stream":" ---\u003e 525b78de634a\n"}{"aux":{"ID":"sha256:abc"}}{"stream":"Successfully built abc\n"}`,
			wantID:    "sha256:abc",
			wantSteps: []string{"525b78de634a"},
		},
		{
			name:      "error carries last output and steps so far",
			stream:    `{"stream":"Step 1/3 : FROM scratch\n"}{"stream":"Step 2/3 : COPY app /app\n"}{"stream":" ---\u003e 525b78de634a\n"}{"stream":"Step 3/3 : COPY missing /m\n"}{"errorDetail":{"message":"COPY failed: file not found"},"error":"COPY failed: file not found"}`,
			wantErr:   "COPY failed: file not found (after: Step 2/3 : COPY app /app | ---> 525b78de634a | Step 3/3 : COPY missing /m)",
			wantSteps: []string{"525b78de634a"},
		},
		{name: "truncated stream", stream: `{"stream":"Step 1`, wantErr: "read build output"},
		{name: "no id", stream: `{"stream":"ok\n"}{"stream":" ---\u003e Using cache\n"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, steps, err := readBuildStream(strings.NewReader(tt.stream))
			if !slices.Equal(steps, tt.wantSteps) {
				t.Errorf("steps = %v, want %v", steps, tt.wantSteps)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || id != tt.wantID {
				t.Fatalf("id, err = %q, %v; want %q", id, err, tt.wantID)
			}
		})
	}
}

func TestTarDir(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"Dockerfile": "FROM scratch\n", "app": "binary", "sub/x": "x"}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := TarDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeDir {
			got[h.Name] = "dir"
			continue
		}
		data, _ := io.ReadAll(tr)
		got[h.Name] = string(data)
		if h.Mode&0o111 == 0 {
			t.Errorf("%s lost its exec bit: %o", h.Name, h.Mode)
		}
	}
	want := map[string]string{"Dockerfile": "FROM scratch\n", "app": "binary", "sub": "dir", "sub/x": "x"}
	if len(got) != len(want) {
		t.Fatalf("tar has %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	again, err := TarDir(dir)
	if err != nil || !bytes.Equal(b, again) {
		t.Errorf("tar of the same files differs between calls (err %v)", err)
	}
	if _, err := TarDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("TarDir of a missing dir: no error")
	}
}

func TestLabelFilters(t *testing.T) {
	tests := []struct {
		runID string
		want  []string
	}{
		{"r1", []string{deployers.LabelRunID + "=r1", deployers.LabelVariant + "=container"}},
		{"", []string{deployers.LabelRunID, deployers.LabelVariant + "=container"}},
	}
	for _, tt := range tests {
		f := LabelFilters(tt.runID, deployers.Container)
		var got []string
		for k := range f["label"] {
			got = append(got, k)
		}
		slices.Sort(got)
		slices.Sort(tt.want)
		if !slices.Equal(got, tt.want) || len(f) != 1 {
			t.Errorf("LabelFilters(%q) = %v, want label filters %v", tt.runID, f, tt.want)
		}
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
