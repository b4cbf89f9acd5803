package ecs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fakeDocker builds nothing real and answers a push with canned messages.
// The image it "builds" is stamped with the platform asked for, unless
// stamp names another (an engine that ignores the platform).
type fakeDocker struct {
	pushed, auth, removed string
	pushMsgs              []jsonstream.Message
	asked                 []ocispec.Platform
	stamp                 string // os/arch the build reports; "" is the one asked for
}

func (f *fakeDocker) ImageBuild(_ context.Context, _ io.Reader, o client.ImageBuildOptions) (client.ImageBuildResult, error) {
	f.asked = o.Platforms
	body := `{"stream":"Successfully built"}` + "\n" + `{"aux":{"ID":"sha256:built"}}` + "\n"
	return client.ImageBuildResult{Body: io.NopCloser(strings.NewReader(body))}, nil
}

func (f *fakeDocker) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	var r client.ImageInspectResult
	r.Os, r.Architecture = "linux", "amd64"
	if len(f.asked) == 1 {
		r.Os, r.Architecture = f.asked[0].OS, f.asked[0].Architecture
	}
	if f.stamp != "" {
		r.Os, r.Architecture, _ = strings.Cut(f.stamp, "/")
	}
	return r, nil
}

func (f *fakeDocker) ImageRemove(_ context.Context, ref string, _ client.ImageRemoveOptions) (client.ImageRemoveResult, error) {
	f.removed = ref
	return client.ImageRemoveResult{}, nil
}

func (f *fakeDocker) ImagePush(_ context.Context, ref string, o client.ImagePushOptions) (client.ImagePushResponse, error) {
	f.pushed, f.auth = ref, o.RegistryAuth
	return pushResponse{ReadCloser: io.NopCloser(strings.NewReader("")), msgs: f.pushMsgs}, nil
}

type pushResponse struct {
	io.ReadCloser
	msgs []jsonstream.Message
}

func (p pushResponse) JSONMessages(context.Context) iter.Seq2[jsonstream.Message, error] {
	return func(yield func(jsonstream.Message, error) bool) {
		for _, m := range p.msgs {
			if !yield(m, nil) {
				return
			}
		}
	}
}

func (p pushResponse) Wait(context.Context) error { return nil }

func TestDockerPusherPushesWithTheECRLoginAndRemovesTheLocalTag(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	digest := json.RawMessage(`{"Tag":"r1","Digest":"sha256:pushed","Size":1}`)
	tests := []struct {
		name       string
		msgs       []jsonstream.Message
		wantDigest string
		wantErr    string
	}{
		{"digest from the registry", []jsonstream.Message{{Status: "Pushed"}, {Aux: &digest}}, "sha256:pushed", ""},
		{"no digest: the image id", []jsonstream.Message{{Status: "Pushed"}}, "sha256:built", ""},
		{"registry refuses", []jsonstream.Message{{Error: &jsonstream.Error{Message: "denied: not authorized"}}}, "", "denied: not authorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeDocker{pushMsgs: tc.msgs}
			ref := "1.dkr.ecr.us-east-1.amazonaws.com/computeladder-x:r1"
			login := registry.AuthConfig{Username: "AWS", Password: "pw", ServerAddress: "1.dkr.ecr.us-east-1.amazonaws.com"}
			got, err := (&DockerPusher{API: f}).Push(context.Background(), Image{ContextDir: dir, Ref: ref, Auth: login, Platform: "linux/amd64"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
			} else if err != nil || got != tc.wantDigest {
				t.Fatalf("push = %q, %v; want %q", got, err, tc.wantDigest)
			}
			raw, err := base64.URLEncoding.DecodeString(f.auth)
			var sent registry.AuthConfig
			if err != nil || json.Unmarshal(raw, &sent) != nil || sent != login {
				t.Errorf("registry auth header %q does not carry the login", f.auth)
			}
			if f.pushed != ref || f.removed != ref {
				t.Errorf("pushed %q, removed %q; want %q for both", f.pushed, f.removed, ref)
			}
		})
	}
}

// TestDockerPusherBuildsForTheArtifactsPlatform checks that the build asks
// for the artifacts' platform, and that an image the engine stamped with
// another architecture (an arm64 host ignoring the request) is refused
// before the push with a line that says what to do.
func TestDockerPusherBuildsForTheArtifactsPlatform(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := "1.dkr.ecr.us-east-1.amazonaws.com/computeladder-x:r1"
	ok := &fakeDocker{pushMsgs: []jsonstream.Message{{Status: "Pushed"}}}
	if _, err := (&DockerPusher{API: ok}).Push(context.Background(), Image{ContextDir: dir, Ref: ref, Platform: "linux/arm64"}); err != nil {
		t.Fatalf("push: %v", err)
	}
	if len(ok.asked) != 1 || ok.asked[0].OS != "linux" || ok.asked[0].Architecture != "arm64" {
		t.Errorf("build asked for %v, want linux/arm64", ok.asked)
	}
	wrong := &fakeDocker{stamp: "linux/arm64"}
	_, err := (&DockerPusher{API: wrong}).Push(context.Background(), Image{ContextDir: dir, Ref: ref, Platform: "linux/amd64"})
	if err == nil || !strings.Contains(err.Error(), "built "+ref+" for linux/arm64 although linux/amd64 was asked") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("push of a wrongly stamped image: %v, want one line naming both platforms", err)
	}
	if wrong.pushed != "" || wrong.removed != ref {
		t.Errorf("pushed %q, removed %q: want nothing pushed and the local image removed", wrong.pushed, wrong.removed)
	}
	if _, err := (&DockerPusher{API: &fakeDocker{}}).Push(context.Background(), Image{ContextDir: dir, Ref: ref, Platform: "amd64"}); err == nil || !strings.Contains(err.Error(), "os/arch") {
		t.Errorf("platform without an os: %v, want refused", err)
	}
}
