package ecs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers/docker"
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
	docker.ImageBuilder
	ImagePush(ctx context.Context, image string, options client.ImagePushOptions) (client.ImagePushResponse, error)
}

// DockerPusher builds with the local Docker engine and pushes with the
// registry login. The local image is removed after the push: the copy that
// matters is the one in ECR, which Teardown deletes with the repository.
type DockerPusher struct {
	// API is the Docker client; nil connects from the environment on first
	// use.
	API DockerAPI
}

// Push builds img and pushes it.
func (p *DockerPusher) Push(ctx context.Context, img Image) (string, error) {
	if p.API == nil {
		c, err := docker.NewClient()
		if err != nil {
			return "", err
		}
		p.API = c
	}
	id, err := docker.BuildImage(ctx, p.API, img.ContextDir, img.Ref, img.Labels)
	if err != nil {
		return "", err
	}
	defer func() {
		_, _ = p.API.ImageRemove(context.WithoutCancel(ctx), img.Ref, client.ImageRemoveOptions{PruneChildren: true})
	}()
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
