package rie

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/rie/internal/frontend"
)

// rieInvokePath is the emulator's invoke endpoint (the Lambda Invoke API's
// path for a function named "function").
const rieInvokePath = "/2015-03-31/functions/function/invocations"

// riePort is where the emulator listens inside the container.
var riePort = network.MustParsePort("8080/tcp")

// Environment describes one execution environment, for the harness.
type Environment struct {
	ID   string `json:"id"`   // container id
	Name string `json:"name"` // container name
	// InvokeURL is the emulator's own invoke endpoint on 127.0.0.1: POST
	// an event there to bypass the gateway (as the emulator's README
	// shows with curl).
	InvokeURL string  `json:"invoke_url,omitempty"`
	MemoryMB  int     `json:"memory_mb"`
	CPUs      float64 `json:"cpus"`
	// InitCPUs is the share it started with, for its init; CPUs applies
	// from the end of its first invoke (see WithInitBoost).
	InitCPUs float64 `json:"init_cpus"`
	// Started is when the gateway asked for it: a request found no idle
	// environment.
	Started time.Time `json:"started"`
	// Listening is Started → the emulator answering on its port (container
	// create, start, emulator start).
	Listening time.Duration `json:"listening"`
	// FirstInvoke is the client-side (gateway) latency of its first
	// invoke: the emulator's lazy init plus the first request.
	FirstInvoke time.Duration `json:"first_invoke"`
	// ColdStart is Started → the first response: what the cold request
	// waited for on top of the gateway's own work.
	ColdStart time.Duration `json:"cold_start"`
	// InitDuration is the emulator's INIT REPORT for the first init: the
	// platform figure this package trusts (see LogFacts).
	InitDuration time.Duration `json:"init_duration"`
	// ReportInitDuration is the REPORT line's Init Duration, kept for the
	// cross-check: the emulator times only the dispatch of init.
	ReportInitDuration time.Duration `json:"report_init_duration"`
	// Inits counts inits; more than one means resets (timeout, crash).
	Inits    int      `json:"inits"`
	Requests int      `json:"requests"`
	Timeouts int      `json:"timeouts"`
	Errors   []string `json:"errors,omitempty"`
	// Retired is when the gateway stopped using it (zero while live), and
	// RetireReason why: keep-alive, forced, timeout, crash, teardown.
	Retired      time.Time `json:"retired,omitzero"`
	RetireReason string    `json:"retire_reason,omitempty"`
}

// env is the gateway's handle on one environment. Fields below id are
// guarded by the gateway's mutex.
type env struct {
	name string
	id   string
	url  string // emulator base URL on 127.0.0.1 (the published port)
	// bridge is the emulator's address on the engine's bridge network
	// (ip:8080), "" when it has none; the gateway invokes it there once
	// the deployer knows the bridge is reachable (see emulatorAddr).
	bridge string
	// conn is the kept-alive connection to the emulator, used only by the
	// request that holds the environment.
	conn atomic.Pointer[emulatorConn]

	started     time.Time
	running     time.Time // the engine started the container
	listening   time.Time
	firstInvoke time.Duration
	firstDone   time.Time
	requests    int
	lastUsed    time.Time
	drain       bool // retire when released (ForceColdStart while busy)
	capped      bool // runs with the handler's CPU share (after init)
	retired     time.Time
	reason      string
	facts       *LogFacts // parsed when logs were collected
}

// envSpec is what every environment of a deployment shares.
type envSpec struct {
	runID      string
	deployment string
	image      string
	memoryMB   int
	cpus       float64 // the handler's share
	initCPUs   float64 // the share init runs with (>= cpus)
	env        []string
	poll       time.Duration
}

// startEnv creates and starts one environment and waits until the emulator
// answers on its port. A container that exits first fails the wait at once.
// On error nothing is left: the container is removed.
func (dp *Deployer) startEnv(ctx context.Context, s envSpec, name string) (e *env, err error) {
	e = &env{name: name, started: time.Now(), capped: s.initCPUs == s.cpus}
	cfg := &container.Config{
		Image:        s.image,
		Env:          append(slices.Clip(s.env), "AWS_LAMBDA_LOG_STREAM_NAME="+logStreamName(e.started)),
		Labels:       labels(s.runID, s.deployment),
		ExposedPorts: network.PortSet{riePort: {}},
	}
	host := envHostConfig(s.memoryMB, s.initCPUs)
	created, err := dp.api.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: cfg, HostConfig: host})
	if err != nil {
		return nil, fmt.Errorf("create environment %s: %w", name, err)
	}
	e.id = created.ID
	defer func() {
		if err != nil {
			if rerr := dp.removeContainer(context.WithoutCancel(ctx), e.id); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	// The wait is requested before the start so that an immediate exit is
	// seen; it ends with ctx or when the environment is listening.
	waitCtx, stopWait := context.WithCancel(ctx)
	defer stopWait()
	exited := dp.watchExit(waitCtx, e.id)
	if _, err := dp.api.ContainerStart(ctx, e.id, client.ContainerStartOptions{}); err != nil {
		return nil, fmt.Errorf("start environment %s: %w", name, err)
	}
	e.running = time.Now()
	port, bridge, err := dp.addresses(ctx, e.id)
	if err != nil {
		return nil, err
	}
	e.url, e.bridge = "http://127.0.0.1:"+port, bridge
	if err := waitListening(ctx, e.url, s.poll, exited); err != nil {
		return nil, fmt.Errorf("environment %s: %w%s", name, err, dp.logExcerpt(context.WithoutCancel(ctx), e.id))
	}
	e.listening = time.Now()
	dp.probeBridge(bridge)
	return e, nil
}

// envHostConfig is an environment's host configuration: memoryMB of
// memory without swap, cpus of CPU, locked down, the emulator's port on
// 127.0.0.1.
func envHostConfig(memoryMB int, cpus float64) *container.HostConfig {
	mem := int64(memoryMB) << 20
	pids := int64(256)
	return &container.HostConfig{
		PortBindings: network.PortMap{riePort: {{HostIP: netip.MustParseAddr("127.0.0.1")}}},
		Resources: container.Resources{
			Memory:     mem,
			MemorySwap: mem, // no swap: the memory size is the limit
			NanoCPUs:   nanoCPUs(cpus),
			PidsLimit:  &pids,
		},
		ReadonlyRootfs: true,
		// Lambda gives functions a writable /tmp (512 MB by default).
		Tmpfs:       map[string]string{"/tmp": "rw,nosuid,nodev,size=512m"},
		CapDrop:     []string{"ALL"},
		SecurityOpt: []string{"no-new-privileges"},
	}
}

func nanoCPUs(cpus float64) int64 { return int64(cpus * 1e9) }

// setCPUs changes a running environment's CPU share: the engine rewrites
// its CFS quota in place.
func (dp *Deployer) setCPUs(ctx context.Context, id string, cpus float64) error {
	_, err := dp.api.ContainerUpdate(ctx, id, client.ContainerUpdateOptions{Resources: &container.Resources{NanoCPUs: nanoCPUs(cpus)}})
	if err != nil {
		return fmt.Errorf("set CPU share of %s to %s: %w", shortID(id), formatCPUs(cpus), err)
	}
	return nil
}

// watchExit returns a channel that receives an error when the container
// stops running before ctx ends.
func (dp *Deployer) watchExit(ctx context.Context, id string) <-chan error {
	out := make(chan error, 1)
	go func() {
		w := dp.api.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
		select {
		case r := <-w.Result:
			out <- fmt.Errorf("the emulator exited with status %d before listening", r.StatusCode)
		case err := <-w.Error:
			if ctx.Err() == nil {
				out <- fmt.Errorf("watch container: %w", err)
			}
		case <-ctx.Done():
		}
	}()
	return out
}

// addresses returns the 127.0.0.1 port the engine published for the
// emulator, and the emulator's address on the engine's bridge network
// ("" when it has none).
func (dp *Deployer) addresses(ctx context.Context, id string) (port, bridge string, err error) {
	res, err := dp.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return "", "", fmt.Errorf("inspect environment: %w", err)
	}
	ns := res.Container.NetworkSettings
	if ns != nil {
		for _, b := range ns.Ports[riePort] {
			if b.HostPort != "" {
				port = b.HostPort
				break
			}
		}
		for _, n := range ns.Networks {
			if n != nil && n.IPAddress.IsValid() {
				bridge = netip.AddrPortFrom(n.IPAddress, riePort.Num()).String()
				break
			}
		}
	}
	if port == "" {
		return "", "", errors.New("inspect environment: the engine published no port for 8080/tcp")
	}
	return port, bridge, nil
}

// hostPort returns the 127.0.0.1 port the engine published for the emulator.
func (dp *Deployer) hostPort(ctx context.Context, id string) (string, error) {
	port, _, err := dp.addresses(ctx, id)
	return port, err
}

// Whether this process reaches containers at their bridge address.
const (
	bridgeUnknown int32 = iota
	bridgeProbing
	bridgeReachable
	bridgeUnreachable
)

// bridgeProbeTimeout bounds the one connection attempt that decides
// whether the bridge is reachable.
const bridgeProbeTimeout = time.Second

// probeBridge finds out, once per deployer and in the background, whether
// this process reaches a listening emulator at addr, its bridge address:
// it does where the engine runs on this host's kernel (Docker Engine on
// Linux), not from inside Docker Desktop's VM boundary (macOS, Windows) or
// a rootless engine's namespace. Until it knows, invokes go through the
// published port; a cold start never waits for the probe.
func (dp *Deployer) probeBridge(addr string) {
	if addr == "" || !dp.bridge.CompareAndSwap(bridgeUnknown, bridgeProbing) {
		return
	}
	go func() {
		c, err := net.DialTimeout("tcp", addr, bridgeProbeTimeout)
		if err != nil {
			dp.opts.log.Debug("bridge address unreachable: invoking through the published port", "addr", addr, "err", err)
			dp.bridge.Store(bridgeUnreachable)
			return
		}
		_ = c.Close()
		dp.bridge.Store(bridgeReachable)
	}()
}

// emulatorAddr is where the gateway invokes e's emulator: its bridge
// address once that is known to be reachable (one hop fewer: no
// docker-proxy in between), else its published port on 127.0.0.1.
func (dp *Deployer) emulatorAddr(e *env) string {
	if e.bridge != "" && dp.bridge.Load() == bridgeReachable {
		return e.bridge
	}
	return strings.TrimPrefix(e.url, "http://")
}

// waitListening waits until the emulator answers any HTTP request (it
// serves only the invoke path, so a probe of / gets 404 once it listens).
// The engine's port forwarder accepts connections before the emulator
// listens, so a TCP connect alone proves nothing; the probes are hedged so
// that one stalled there cannot delay the moment seen.
func waitListening(ctx context.Context, base string, poll time.Duration, exited <-chan error) error {
	alive := func() error {
		select {
		case err := <-exited:
			return err
		default:
			return nil
		}
	}
	_, err := deployers.Probe{Interval: poll, Hedged: true, AnyStatus: true, Alive: alive}.Wait(ctx, base+"/")
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("the emulator did not listen: %w", err)
	}
	return err
}

// collectLogs reads a container's whole log (stdout and stderr) and parses it.
func (dp *Deployer) collectLogs(ctx context.Context, id string) (string, LogFacts, error) {
	rc, err := dp.api.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return "", LogFacts{}, fmt.Errorf("container logs: %w", err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	// One buffer for both streams: the parser accepts any interleaving.
	if _, err := stdcopy.StdCopy(&buf, &buf, io.LimitReader(rc, 8<<20)); err != nil {
		return "", LogFacts{}, fmt.Errorf("container logs: %w", err)
	}
	return buf.String(), ParseLog(buf.String()), nil
}

// logExcerpt returns the last lines of a container's log, formatted to end
// an error message, or "" when there is none.
func (dp *Deployer) logExcerpt(ctx context.Context, id string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	log, _, err := dp.collectLogs(ctx, id)
	if err != nil || strings.TrimSpace(log) == "" {
		return ""
	}
	return "\nlast log lines:\n" + lastLines(log, 12)
}

// removeContainer force-removes a container; one already gone is removed.
func (dp *Deployer) removeContainer(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
	defer cancel()
	_, err := dp.api.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove container %s: %w", shortID(id), err)
	}
	return nil
}

// invokeResult is the emulator's answer to one invoke.
type invokeResult struct {
	status  int
	payload []byte
	latency time.Duration
	done    time.Time // when the answer was in
}

// emulatorConn is a kept-alive connection to one environment's emulator.
// Only the request holding the environment uses it, on its own goroutine:
// the request is one write, the answer is read straight from the
// connection, with none of a pooled transport's hand-offs between
// goroutines (an emulator serves one invoke at a time anyway).
type emulatorConn struct {
	addr string
	c    net.Conn
	br   *bufio.Reader
	out  []byte // the request being sent, reused
}

// invoke posts one event to e's emulator on e's kept connection (dialled
// when there is none). A request is sent again only when it was not
// written whole on a connection kept from before (the emulator never saw
// it all, so it cannot have run): an invoke fully written is never
// resent, whatever happens to its answer.
func (g *gateway) invoke(ctx context.Context, e *env, payload []byte) (invokeResult, error) {
	start := time.Now()
	addr := g.dp.emulatorAddr(e)
	c := e.conn.Load()
	if c != nil && c.addr != addr {
		e.dropConn(c) // the bridge became known: move there
		c = nil
	}
	for kept := c != nil; ; kept = false {
		if c == nil {
			nc, err := g.dialer.DialContext(ctx, "tcp", addr)
			if err != nil {
				return invokeResult{}, err
			}
			c = &emulatorConn{addr: addr, c: nc, br: bufio.NewReaderSize(nc, 16<<10)}
			e.conn.Store(c)
		}
		status, body, written, keep, err := c.exchange(ctx, payload)
		if !keep || err != nil {
			e.dropConn(c)
		}
		if err == nil {
			done := time.Now()
			return invokeResult{status: status, payload: body, latency: done.Sub(start), done: done}, nil
		}
		if ctx.Err() != nil {
			return invokeResult{}, fmt.Errorf("invoke: %w", ctx.Err())
		}
		if written || !kept {
			return invokeResult{}, fmt.Errorf("invoke: %w", err)
		}
		c = nil
	}
}

// exchange writes one invoke and reads its answer. written reports that
// the request was written whole; keep, that the connection may serve the
// next invoke. ctx ending cuts the exchange.
func (c *emulatorConn) exchange(ctx context.Context, payload []byte) (status int, body []byte, written, keep bool, err error) {
	stop := context.AfterFunc(ctx, func() { _ = c.c.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() {
			keep = false // the deadline is (or is being) set in the past
		}
	}()
	c.out = append(c.out[:0], "POST "+rieInvokePath+" HTTP/1.1\r\nHost: "...)
	c.out = append(c.out, c.addr...)
	c.out = append(c.out, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	c.out = strconv.AppendInt(c.out, int64(len(payload)), 10)
	c.out = append(c.out, "\r\n\r\n"...)
	c.out = append(c.out, payload...)
	if _, err := c.c.Write(c.out); err != nil {
		return 0, nil, false, false, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, nil, true, false, err
	}
	// Lambda's response limit is 6 MB; one byte more tells it was cut.
	body, err = frontend.ReadPayload(resp.Body, resp.ContentLength)
	if err != nil {
		return 0, nil, true, false, fmt.Errorf("read invoke response: %w", err)
	}
	if len(body) > frontend.MaxPayload || resp.Close {
		return resp.StatusCode, body, true, false, nil // the rest is not read
	}
	// The body was read to its end: Close reads nothing more.
	resp.Body.Close()
	return resp.StatusCode, body, true, true, nil
}

// dropConn closes c and forgets it, if it is still e's connection.
func (e *env) dropConn(c *emulatorConn) {
	if e.conn.CompareAndSwap(c, nil) {
		_ = c.c.Close()
	}
}

// closeConn closes e's kept connection, if any.
func (e *env) closeConn() {
	if c := e.conn.Swap(nil); c != nil {
		_ = c.c.Close()
	}
}

// logStreamName is a Lambda-style log stream name, unique per environment.
func logStreamName(t time.Time) string {
	return t.UTC().Format("2006/01/02") + "/[$LATEST]" + deployers.RandomHex(16)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func formatCPUs(c float64) string { return strconv.FormatFloat(c, 'f', 3, 64) }
