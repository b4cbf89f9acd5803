package targets

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/docker"
)

// ParseArch accepts a GOARCH the artifacts can be built for, in Go's or
// the kernel's spelling (amd64 or x86_64, arm64 or aarch64).
func ParseArch(s string) (string, error) {
	switch a := docker.GOARCH(s); a {
	case "amd64", "arm64":
		return a, nil
	}
	return "", fmt.Errorf("arch %q: use amd64 or arm64", s)
}

// Arches is the GOARCH each variant's artifacts are built for. An explicit
// arch (--arch) applies to every variant. Otherwise each variant gets what
// its platform runs natively: the local microVM this machine's architecture
// (QEMU's own, where KVM or HVF can run it); whatever runs in a container
// (the local container and function, and every cloud variant, since ECS's
// image comes from the local engine) the architecture the Docker engine
// runs natively, asked of the engine — Docker Desktop on an Apple Silicon
// Mac says arm64 — or this machine's when no engine answers on a cloud
// target.
func Arches(ctx context.Context, target string, variants []deployers.Variant, explicit string) (map[deployers.Variant]string, error) {
	out := map[deployers.Variant]string{}
	if explicit != "" {
		a, err := ParseArch(explicit)
		if err != nil {
			return nil, err
		}
		for _, v := range variants {
			out[v] = a
		}
		return out, nil
	}
	var engine string
	for _, v := range variants {
		if target == "local" && v == deployers.VM {
			out[v] = runtime.GOARCH
			continue
		}
		if engine == "" {
			a, err := engineArch(ctx)
			switch {
			case err == nil:
				engine = a
			case target == "local":
				return nil, &PrereqError{fmt.Sprintf("ask the Docker engine its architecture: %v: start Docker, or pass --arch", err)}
			default:
				engine = runtime.GOARCH
			}
		}
		out[v] = engine
	}
	return out, nil
}

// engineArch is the Docker engine's native architecture, as a GOARCH.
func engineArch(ctx context.Context) (string, error) {
	c, err := docker.NewClient()
	if err != nil {
		return "", err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	a, err := docker.EngineArch(ctx, c)
	if err != nil {
		return "", err
	}
	if _, err := ParseArch(a); err != nil {
		return "", fmt.Errorf("the engine runs %s, which the app is not built for: pass --arch amd64 or arm64 and an engine that runs it", a)
	}
	return a, nil
}

// OneArch is the single architecture of arches, for what builds one set of
// artifacts for several variants; when the variants differ (an engine of
// another architecture than this machine's) it asks for --arch.
func OneArch(arches map[deployers.Variant]string) (string, error) {
	one := ""
	for _, v := range deployers.Variants {
		a, ok := arches[v]
		switch {
		case !ok:
		case one == "":
			one = a
		case a != one:
			return "", fmt.Errorf("the microVM would run %s (this machine's) and the containers %s (the Docker engine's): pass --arch amd64 or arm64 (the other side then runs under emulation)",
				arches[deployers.VM], a)
		}
	}
	if one == "" {
		one = runtime.GOARCH
	}
	return one, nil
}
