package docker

import (
	"context"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers/internal/engine"
)

// Engine is where a Docker engine was found, and how (see FindEngine).
type Engine = engine.Engine

// FindEngine finds the Docker engine: DOCKER_HOST; else the current Docker
// context unless it is "default"; else the first well-known socket that
// accepts a connection (Docker Engine, rootless Docker, Docker Desktop,
// Colima, OrbStack, Rancher Desktop). The error says what was tried and
// what to do.
func FindEngine() (Engine, error) { return engine.Find() }

// NewClient returns a client of the engine FindEngine finds, negotiating
// the API version on its first request.
func NewClient() (*client.Client, error) { return engine.NewClient() }

// EngineArch asks the engine which architecture it runs containers of
// natively, as a GOARCH ("amd64", "arm64").
func EngineArch(ctx context.Context, c interface {
	ServerVersion(context.Context, client.ServerVersionOptions) (client.ServerVersionResult, error)
}) (string, error) {
	return engine.Arch(ctx, c)
}

// GOARCH maps an architecture as engines and kernels name it (uname -m's
// x86_64 and aarch64, or Go's own) to Go's name.
func GOARCH(arch string) string { return engine.GOARCH(arch) }
