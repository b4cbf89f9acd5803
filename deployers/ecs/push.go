package ecs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/computeladder/computeladder/deployers/internal/engine"
)

// Image is what a Pusher builds and pushes.
type Image struct {
	// ContextDir is the Docker build context (the artifact set's
	// ContainerContext).
	ContextDir string
	// Ref is the full reference to push, "<registry>/<repository>:<tag>".
	Ref string
	// Labels are put on the image.
	Labels map[string]string
	// Auth is the registry login from the ECR authorization token.
	Auth registry.AuthConfig
	// Platform is what the image must run on, "linux/amd64" or
	// "linux/arm64": the artifacts' architecture, which the task
	// definition asks Fargate for.
	Platform string
}

// Pusher builds an image and pushes it to a registry. The deployer asks ECR
// for the repository and the login; the Pusher does the Docker part, so that
// tests against an emulator without a registry can record the push instead.
type Pusher interface {
	// Push returns the pushed image's digest (or another id when the
	// registry reports none).
	Push(ctx context.Context, img Image) (string, error)
}

// DockerAPI is the part of the Docker client DockerPusher uses.
type DockerAPI interface {
	engine.ImageBuilder
	ImageInspect(ctx context.Context, image string, opts ...client.ImageInspectOption) (client.ImageInspectResult, error)
	ImagePush(ctx context.Context, image string, options client.ImagePushOptions) (client.ImagePushResponse, error)
}

// DockerPusher builds with the local Docker engine for the image's
// platform, checks that the engine did build for it, and pushes with the
// registry login. An engine left to itself stamps a FROM-scratch image with
// its own architecture, and Fargate refuses an arm64 image on x86_64 with
// CannotPullContainerError; some engines (the classic builder of Docker
// 20.10) stamp their own architecture even when asked for another, hence
// the check before the push. The local image is removed after the push:
// the copy that matters is the one in ECR, which Teardown deletes with the
// repository.
type DockerPusher struct {
	// API is the Docker client; nil connects from the environment on first
	// use.
	API DockerAPI
}

// Push builds img and pushes it.
func (p *DockerPusher) Push(ctx context.Context, img Image) (string, error) {
	if p.API == nil {
		c, err := engine.NewClient()
		if err != nil {
			return "", err
		}
		p.API = c
	}
	id, err := p.build(ctx, img)
	if id != "" {
		defer func() {
			_, _ = p.API.ImageRemove(context.WithoutCancel(ctx), img.Ref, client.ImageRemoveOptions{PruneChildren: true})
		}()
	}
	if err != nil {
		return "", err
	}
	auth, err := encodeAuth(img.Auth)
	if err != nil {
		return "", err
	}
	res, err := p.API.ImagePush(ctx, img.Ref, client.ImagePushOptions{RegistryAuth: auth})
	if err != nil {
		return "", fmt.Errorf("push %s: %w", img.Ref, err)
	}
	defer res.Close()
	digest := ""
	for m, err := range res.JSONMessages(ctx) {
		if err != nil {
			return "", fmt.Errorf("push %s: %w", img.Ref, err)
		}
		if m.Error != nil {
			return "", fmt.Errorf("push %s: %s: check the ECR login and the repository", img.Ref, m.Error.Message)
		}
		if m.Aux != nil {
			var aux struct{ Digest string }
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.Digest != "" {
				digest = aux.Digest
			}
		}
	}
	if digest == "" {
		digest = id
	}
	return digest, nil
}

// build builds img for its platform and checks the image's architecture.
// The id is set whenever an image was built, also with the error of a
// wrong architecture, so that the caller removes it.
func (p *DockerPusher) build(ctx context.Context, img Image) (string, error) {
	goos, arch, ok := strings.Cut(img.Platform, "/")
	if !ok || goos == "" || arch == "" {
		return "", fmt.Errorf("image platform %q: want os/arch, e.g. linux/amd64", img.Platform)
	}
	want := ocispec.Platform{OS: goos, Architecture: arch}
	id, err := engine.BuildImage(ctx, platformBuilder{p.API, want}, img.ContextDir, img.Ref, img.Labels)
	if err != nil {
		return "", err
	}
	ins, err := p.API.ImageInspect(ctx, img.Ref)
	if err != nil {
		return id, fmt.Errorf("inspect %s: %w", img.Ref, err)
	}
	if ins.Os != want.OS || ins.Architecture != want.Architecture {
		return id, fmt.Errorf("the Docker engine built %s for %s/%s although %s was asked: Fargate would refuse it; use an engine that builds for other platforms (Docker 23 or newer), or build on an %s machine",
			img.Ref, ins.Os, ins.Architecture, img.Platform, want.Architecture)
	}
	return id, nil
}

// platformBuilder asks the engine to build every image for one platform.
type platformBuilder struct {
	engine.ImageBuilder
	platform ocispec.Platform
}

func (b platformBuilder) ImageBuild(ctx context.Context, buildContext io.Reader, o client.ImageBuildOptions) (client.ImageBuildResult, error) {
	o.Platforms = []ocispec.Platform{b.platform}
	return b.ImageBuilder.ImageBuild(ctx, buildContext, o)
}

// encodeAuth is the X-Registry-Auth header value: base64url of the JSON login.
func encodeAuth(a registry.AuthConfig) (string, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("encode registry auth: %w", err)
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

// decodeToken turns an ECR authorization token (base64 of "user:password")
// into a registry login for endpoint.
func decodeToken(token, endpoint string) (registry.AuthConfig, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return registry.AuthConfig{}, fmt.Errorf("ecr token: %w", err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || pass == "" {
		return registry.AuthConfig{}, errors.New("ecr token: not user:password")
	}
	return registry.AuthConfig{
		Username:      user,
		Password:      pass,
		ServerAddress: strings.TrimPrefix(strings.TrimPrefix(endpoint, "https://"), "http://"),
	}, nil
}
