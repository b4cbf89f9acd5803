package rie

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/rie/internal/frontend"
)

// Event returns the Function URL event (payload 2.0) that the gateway
// sends to the function for r: what the local-friction lab compares with
// the event a real Function URL sends.
func Event(r *http.Request) ([]byte, error) { return frontend.EncodeRequest(r) }

// EnvironmentState is what the engine says about one execution environment
// now: what a student sees with `docker logs`, `docker inspect` and
// `docker stats`.
type EnvironmentState struct {
	// Log is the emulator's whole log (stdout and stderr).
	Log string `json:"-"`
	// Running and Paused are the container's state: a paused container is
	// frozen (the cgroup freezer), as Lambda freezes an idle environment.
	Running bool `json:"running"`
	Paused  bool `json:"paused"`
	// MemoryLimit is the container's memory limit; MemoryUsage what it
	// uses, counted as `docker stats` does (the cgroup's usage less its
	// inactive file cache); MemoryMaxUsage the cgroup's peak (cgroup v1
	// only, else 0). Bytes.
	MemoryLimit    int64 `json:"memory_limit_bytes"`
	MemoryUsage    int64 `json:"memory_usage_bytes"`
	MemoryMaxUsage int64 `json:"memory_max_usage_bytes,omitempty"`
	// CPUTime is the CPU time the container has used since it started.
	CPUTime time.Duration `json:"cpu_time_ns"`
	// NanoCPUs is its CPU share (1e9 = one vCPU).
	NanoCPUs int64 `json:"nano_cpus"`
}

// InspectEnvironment reads the state of d's environment name (a live one:
// a retired environment's container is gone).
func (dp *Deployer) InspectEnvironment(ctx context.Context, d *deployers.Deployment, name string) (EnvironmentState, error) {
	g, err := gatewayOf(d)
	if err != nil {
		return EnvironmentState{}, fmt.Errorf("inspect environment: %w", err)
	}
	var id string
	g.mu.Lock()
	for _, e := range g.envs {
		if e.name == name && e.retired.IsZero() {
			id = e.id
		}
	}
	g.mu.Unlock()
	if id == "" {
		return EnvironmentState{}, fmt.Errorf("inspect environment: %s is not a live environment of %s", name, d.ID)
	}
	var st EnvironmentState
	ins, err := dp.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return st, fmt.Errorf("inspect environment %s: %w", name, err)
	}
	if s := ins.Container.State; s != nil {
		st.Running, st.Paused = s.Running, s.Paused
	}
	if h := ins.Container.HostConfig; h != nil {
		st.NanoCPUs = h.NanoCPUs
	}
	res, err := dp.api.ContainerStats(ctx, id, client.ContainerStatsOptions{})
	if err != nil {
		return st, fmt.Errorf("stats of environment %s: %w", name, err)
	}
	var stats container.StatsResponse
	err = json.NewDecoder(res.Body).Decode(&stats)
	res.Body.Close()
	if err != nil {
		return st, fmt.Errorf("stats of environment %s: %w", name, err)
	}
	m := stats.MemoryStats
	inactive := m.Stats["total_inactive_file"] // cgroup v1
	if v, ok := m.Stats["inactive_file"]; ok && inactive == 0 {
		inactive = v // cgroup v2
	}
	st.MemoryLimit, st.MemoryMaxUsage = int64(m.Limit), int64(m.MaxUsage)
	if m.Usage > inactive {
		st.MemoryUsage = int64(m.Usage - inactive)
	}
	st.CPUTime = time.Duration(stats.CPUStats.CPUUsage.TotalUsage)
	if st.Log, _, err = dp.collectLogs(ctx, id); err != nil {
		return st, fmt.Errorf("environment %s: %w", name, err)
	}
	return st, nil
}
