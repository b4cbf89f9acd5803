package qemu

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/qemu/initramfs"
)

// Deploy boots a microVM whose /init is Spec.Artifacts.VMBinary and waits for
// GET /healthz to answer 200. Bad input, a missing QEMU or kernel fail
// before anything is created; later failures tear the VM down and return
// the partial deployment with the error.
func (d *Deployer) Deploy(ctx context.Context, spec deployers.Spec) (*deployers.Deployment, error) {
	t0 := time.Now()
	cfg, err := d.prepare(ctx, spec)
	if err != nil {
		return nil, err
	}
	dep := &deployers.Deployment{
		RunID:    spec.RunID,
		Variant:  deployers.VM,
		Backend:  "qemu",
		Accel:    string(cfg.accel),
		MemoryMB: cfg.memoryMB,
		Details: map[string]string{
			"guest_arch":   cfg.guest.arch,
			"accel_reason": cfg.accelReason,
			"kernel":       cfg.kernel,
			"qemu":         cfg.qemu,
			"cpus":         strconv.Itoa(cfg.cpus),
		},
	}
	dep.Phases.Mark(PhaseDeploy, t0)
	dep.Preparation = Preparation
	if cfg.probed {
		dep.Preparation = PreparationProbe
	}
	if err := d.start(ctx, dep, cfg, spec); err != nil {
		return dep, errors.Join(err, d.Teardown(context.WithoutCancel(ctx), dep))
	}
	return dep, nil
}

// prepared is a validated deploy request.
type prepared struct {
	vmConfig
	qemu         string
	accelReason  string
	probed       bool // this deployment booted the accelerator probe
	initBinary   string
	readyTimeout time.Duration
}

// prepare validates the request and finds what the VM needs; it creates
// nothing.
func (d *Deployer) prepare(ctx context.Context, spec deployers.Spec) (p prepared, err error) {
	if err := ctx.Err(); err != nil {
		return p, fmt.Errorf("deploy: %w", err)
	}
	if err := spec.Validate(); err != nil {
		return p, err
	}
	if spec.Artifacts.VMBinary == "" {
		return p, errors.New("spec: no VM binary in the artifacts: build them first (make build)")
	}
	p.initBinary = spec.Artifacts.VMBinary
	// The guest is the VM binary's architecture: it is the guest's /init.
	if p.guest, err = guestFor(spec.Artifacts.Arch); err != nil {
		return p, err
	}
	p.memoryMB = spec.MemoryMB
	if p.memoryMB == 0 {
		p.memoryMB = DefaultMemoryMB
	}
	if p.memoryMB < 64 || p.memoryMB > 16384 {
		return p, fmt.Errorf("spec: %d MB: a local VM takes 64-16384 MB", p.memoryMB)
	}
	if p.cpus, err = vcpus(spec.CPUs); err != nil {
		return p, err
	}
	p.env = spec.Env
	if _, err := kernelCmdline(p.vmConfig); err != nil { // env checked before anything exists
		return p, err
	}
	p.readyTimeout = spec.ReadyTimeout
	if p.readyTimeout == 0 {
		p.readyTimeout = DefaultReadyTimeout
	}
	qemuBin := d.qemu
	if qemuBin == "" {
		qemuBin = p.guest.qemu
	}
	if p.qemu, err = exec.LookPath(qemuBin); err != nil {
		return p, fmt.Errorf("qemu: %w: install QEMU (%s) or set the QEMU binary", err, InstallHint(p.guest.arch))
	}
	if p.kernel, err = findKernel(ctx, d.kernel, p.guest.kernelModule); err != nil {
		return p, err
	}
	v, err := d.resolveAccel(ctx, p.guest, p.qemu, p.kernel)
	if err != nil {
		return p, err
	}
	p.accel, p.accelReason, p.probed = v.accel, v.reason, v.probed
	switch {
	case d.tscKHz > 0:
		p.tscKHz = d.tscKHz
	case d.tscKHz == 0:
		p.tscKHz = hostTSCKHz()
	}
	return p, nil
}

// start creates the state directory, builds the initramfs, starts QEMU and
// waits for readiness, recording in dep what exists as soon as it exists.
func (d *Deployer) start(ctx context.Context, dep *deployers.Deployment, p prepared, spec deployers.Spec) error {
	id := "vm-" + deployers.RandomHex(4)
	dir := filepath.Join(d.stateDir, spec.RunID, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create state dir: %w: check COMPUTELADDER_STATE_DIR", err)
	}
	dep.ID = id
	dep.Details["state_dir"] = dir
	dep.Resources = append(dep.Resources, deployers.Resource{Kind: resourceKind, ID: id, RunID: spec.RunID, Variant: deployers.VM})
	m := meta{RunID: spec.RunID, Variant: deployers.VM, VMID: id, Owner: deployers.Self(), Accel: p.accel, Created: time.Now().UTC()}
	if err := writeMeta(dir, m); err != nil {
		return err
	}
	if err := buildInitramfs(filepath.Join(dir, initrdFile), p.initBinary); err != nil {
		return err
	}
	p.name = "computeladder-" + id
	p.initrd = filepath.Join(dir, initrdFile)
	p.pidfile = filepath.Join(dir, pidFile)
	p.hostPort = d.port
	if p.hostPort == 0 {
		var err error
		if p.hostPort, err = freePort(); err != nil {
			return err
		}
	}
	args, err := qemuArgs(p.vmConfig)
	if err != nil {
		return err
	}
	v, err := launch(dir, p.qemu, args)
	if err != nil {
		return err
	}
	dep.State = v
	dep.Phases.Mark(PhaseQEMUStarted, time.Now())
	dep.StartupFrom = StartupOrigin
	m.PID, m.Port = v.cmd.Process.Pid, p.hostPort
	dep.URL = "http://127.0.0.1:" + strconv.Itoa(p.hostPort)
	dep.Details["pid"] = strconv.Itoa(m.PID)
	dep.Details["port"] = strconv.Itoa(p.hostPort)
	dep.Details["console_log"] = filepath.Join(dir, consoleFile)
	if err := writeMeta(dir, m); err != nil {
		return err
	}
	d.log.Debug("qemu started", "vm", id, "pid", m.PID, "port", p.hostPort, "accel", p.accel)

	rctx, cancel := context.WithTimeout(ctx, p.readyTimeout)
	defer cancel()
	go func() {
		// End a probe in flight as soon as QEMU exits: a probe of a port
		// that someone else holds would otherwise hang until its timeout.
		select {
		case <-v.exited:
			cancel()
		case <-rctx.Done():
		}
	}()
	ready, err := deployers.WaitReady(rctx, dep.URL+"/healthz", 0, v.deadErr)
	if err != nil {
		if dead := v.deadErr(); dead != nil {
			err = dead // why QEMU exited says more than the probe's error
		} else {
			err = fmt.Errorf("%w; console:\n%s", err, v.console.Tail(10))
		}
		return fmt.Errorf("vm %s: %w", id, err)
	}
	if lag, ok := markBootPhases(&dep.Phases, v.console, ready); ok {
		// For display: how long after the app's own "answered" line the
		// probe saw the 200 (both on this machine's clock). Not the probe's
		// lag alone: the app prints the line when its handler returns and
		// writes the response after it (under TCG the probe saw the 200
		// 2-3 ms after the guest wrote it, answered → 200 was ~6 ms).
		dep.Details["answered_to_200"] = lag.Round(100 * time.Microsecond).String()
	}
	dep.Phases.Mark(PhaseFirst200, ready)
	return nil
}

func buildInitramfs(path, initBinary string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	if err := initramfs.WriteInit(f, initBinary); err != nil {
		f.Close()
		return fmt.Errorf("build initramfs: %w: rebuild the artifacts (make build)", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	return nil
}

// freePort asks the kernel for a free port on 127.0.0.1. Another process may
// take it before QEMU binds it; QEMU then exits with "could not set up host
// forwarding rule", which Deploy reports.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
