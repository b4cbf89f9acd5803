// Package engine holds what the backends that run on a Docker engine share
// (deployers/docker for the container, deployers/rie for the function's
// emulator, deployers/ecs to build the image it pushes): finding the engine
// and making its client, its architecture, the run and variant labels and
// their filters, and image builds and imports that never pull. It depends
// only on the moby client and on package deployers, so that no backend
// imports another.
package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
)

// NewClient returns a client of the engine Find finds (DOCKER_HOST,
// the current Docker context, or a well-known socket); when it finds none,
// of the default socket, so that the first request says what is wrong. It
// negotiates the API version on its first request, so it works with older
// engines (this lab's engine speaks API 1.41).
func NewClient() (*client.Client, error) {
	e, err := Find()
	if err != nil {
		e = Engine{Host: client.DefaultDockerHost, Source: "the default socket; " + err.Error()}
	}
	return e.Client()
}

// Arch asks the engine which architecture it runs containers of
// natively, as a GOARCH ("amd64", "arm64"): Docker Desktop on an Apple
// Silicon Mac says arm64 although the Mac's Docker CLI may be amd64.
func Arch(ctx context.Context, c interface {
	ServerVersion(context.Context, client.ServerVersionOptions) (client.ServerVersionResult, error)
}) (string, error) {
	v, err := c.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", fmt.Errorf("docker version: %w", err)
	}
	arch := GOARCH(v.Arch)
	if arch == "" {
		return "", fmt.Errorf("docker version: the engine names no architecture (os %q): pass --arch", v.Os)
	}
	return arch, nil
}

// GOARCH maps an architecture as engines and kernels name it (uname -m's
// x86_64 and aarch64, or Go's own) to Go's name.
func GOARCH(arch string) string {
	switch strings.ToLower(arch) {
	case "x86_64", "amd64", "x86-64":
		return "amd64"
	case "aarch64", "arm64", "arm64v8":
		return "arm64"
	}
	return strings.ToLower(arch)
}

// LabelFilters selects the resources of variant that carry runID, or of every
// run when runID is empty. Filtering on the variant too keeps backends that
// share the engine (docker, rie) from sweeping each other's resources.
func LabelFilters(runID string, variant deployers.Variant) client.Filters {
	f := client.Filters{}
	if runID == "" {
		f.Add("label", deployers.LabelRunID)
	} else {
		f.Add("label", deployers.LabelRunID+"="+runID)
	}
	return f.Add("label", deployers.LabelVariant+"="+string(variant))
}

// Labels returns the labels every resource of runID and variant carries:
// the run id, the variant and the owner (this process, deployers.Self).
func Labels(runID string, variant deployers.Variant) map[string]string {
	return map[string]string{
		deployers.LabelRunID:   runID,
		deployers.LabelVariant: string(variant),
		deployers.LabelOwner:   deployers.Self(),
	}
}
