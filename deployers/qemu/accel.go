package qemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Accel is QEMU's accelerator: KVM (hardware) or TCG (software emulation).
type Accel string

// Accelerators.
const (
	AccelAuto Accel = "auto"
	AccelKVM  Accel = "kvm"
	AccelTCG  Accel = "tcg"
)

// ParseAccel accepts "auto", "kvm" or "tcg".
func ParseAccel(s string) (Accel, error) {
	switch a := Accel(s); a {
	case AccelAuto, AccelKVM, AccelTCG:
		return a, nil
	}
	return "", fmt.Errorf("unknown accelerator %q: use auto, kvm or tcg", s)
}

// Label is the accelerator's name for humans: "KVM", "TCG", "auto".
func (a Accel) Label() string {
	if a == AccelAuto {
		return "auto"
	}
	return strings.ToUpper(string(a))
}

// kvmFacts is what is known about KVM on this host.
type kvmFacts struct {
	devErr   error // /dev/kvm cannot be opened read-write
	probed   bool  // a probe VM was started under KVM
	probeErr error // the probe VM did not boot
}

// accelVerdict is the accelerator chosen and why.
type accelVerdict struct {
	accel  Accel
	reason string
	// probed is set on the verdict of the call that booted the probe VM:
	// that deployment's preparation includes the probe.
	probed bool
}

// chooseAccel decides the accelerator. An explicit choice is honoured (KVM
// only when /dev/kvm is usable); auto takes KVM only when a probe VM really
// booted with it, because nested KVM was seen to hang or crash guests while
// /dev/kvm looked fine.
func chooseAccel(requested Accel, f kvmFacts) (accelVerdict, error) {
	switch requested {
	case AccelTCG:
		return accelVerdict{accel: AccelTCG, reason: "requested"}, nil
	case AccelKVM:
		if f.devErr != nil {
			return accelVerdict{}, fmt.Errorf("accel kvm: %w: use accel tcg or auto, or give this user access to /dev/kvm", f.devErr)
		}
		return accelVerdict{accel: AccelKVM, reason: "requested"}, nil
	case AccelAuto:
		switch {
		case f.devErr != nil:
			return accelVerdict{accel: AccelTCG, reason: "no usable /dev/kvm"}, nil
		case !f.probed:
			return accelVerdict{}, errors.New("accel auto: KVM not probed yet")
		case f.probeErr != nil:
			return accelVerdict{accel: AccelTCG, reason: "KVM probe failed: " + f.probeErr.Error()}, nil
		default:
			return accelVerdict{accel: AccelKVM, reason: "KVM probe booted"}, nil
		}
	}
	return accelVerdict{}, fmt.Errorf("unknown accelerator %q: use auto, kvm or tcg", requested)
}

// checkKVMDevice reports whether /dev/kvm can be opened read-write.
func checkKVMDevice() error {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open /dev/kvm: %w", err)
	}
	return f.Close()
}

// resolveAccel returns the accelerator for the next VM, probing KVM once per
// Deployer (and once per state dir and day, through a cache file).
func (d *Deployer) resolveAccel(ctx context.Context, qemuBin, kernel string) (accelVerdict, error) {
	if d.accel != AccelAuto {
		var f kvmFacts
		if d.accel == AccelKVM {
			f.devErr = checkKVMDevice()
		}
		return chooseAccel(d.accel, f)
	}
	d.probeMu.Lock()
	defer d.probeMu.Unlock()
	if d.probed != nil {
		return *d.probed, nil
	}
	f := kvmFacts{devErr: checkKVMDevice()}
	ran := false
	if f.devErr == nil {
		f.probed = true
		cache := filepath.Join(d.stateDir, "kvm-probe.json")
		if cached, ok := readProbeCache(cache, qemuBin, kernel); ok {
			f.probeErr = cached
		} else {
			start := time.Now()
			f.probeErr = probeKVM(ctx, qemuBin, kernel, probeTimeout)
			ran = true
			if ctx.Err() != nil {
				// An interrupted probe says nothing about KVM.
				return accelVerdict{}, fmt.Errorf("kvm probe: %w", ctx.Err())
			}
			d.log.Info("kvm probe", "ok", f.probeErr == nil, "err", f.probeErr, "took", time.Since(start))
			writeProbeCache(cache, qemuBin, kernel, f.probeErr)
		}
	}
	v, err := chooseAccel(AccelAuto, f)
	if err != nil {
		return v, err
	}
	d.probed = &v
	v.probed = ran
	return v, nil
}

// probeTimeout bounds the KVM probe: under KVM the kernel reaches its
// "no root file system" panic in well under a second.
const probeTimeout = 10 * time.Second

// probeKVM boots the kernel without an initramfs under KVM. A working KVM
// runs it to the panic "VFS: Unable to mount root fs", after which QEMU exits
// (-no-reboot); a broken one reports "KVM internal error" or hangs.
func probeKVM(ctx context.Context, qemuBin, kernel string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.Command(qemuBin, "-M", "microvm", "-accel", "kvm", "-nodefaults", "-no-user-config",
		"-display", "none", "-serial", "stdio", "-no-reboot", "-m", "128", "-smp", "1",
		"-kernel", kernel, "-append", "console=ttyS0 panic=-1 quiet")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", qemuBin, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-done
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			done <- err // for the deferred receive
			if strings.Contains(out.String(), "Kernel panic") {
				return nil
			}
			return fmt.Errorf("qemu exited before the kernel ran (%v): %s", err, lastLine(out.String()))
		case <-tick.C:
			if s := out.String(); strings.Contains(s, "KVM internal error") || strings.Contains(s, "emulation failure") {
				return errors.New("KVM internal error (nested KVM cannot run this guest)")
			}
		case <-ctx.Done():
			return fmt.Errorf("guest did not boot within %s under KVM", timeout)
		}
	}
}

type probeCache struct {
	QEMU    string    `json:"qemu"`
	Kernel  string    `json:"kernel"`
	OK      bool      `json:"ok"`
	Error   string    `json:"error,omitempty"`
	Checked time.Time `json:"checked"`
}

// probeCacheTTL: a failing probe costs up to probeTimeout, not worth paying
// on every run, but the host's KVM may be fixed (or break) meanwhile.
const probeCacheTTL = 24 * time.Hour

func readProbeCache(path, qemuBin, kernel string) (error, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var c probeCache
	if json.Unmarshal(b, &c) != nil || c.QEMU != qemuBin || c.Kernel != kernel || time.Since(c.Checked) > probeCacheTTL {
		return nil, false
	}
	if c.OK {
		return nil, true
	}
	return errors.New(c.Error + " (cached)"), true
}

func writeProbeCache(path, qemuBin, kernel string, probeErr error) {
	c := probeCache{QEMU: qemuBin, Kernel: kernel, OK: probeErr == nil, Checked: time.Now().UTC()}
	if probeErr != nil {
		c.Error = probeErr.Error()
	}
	b, err := json.Marshal(c)
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(path), 0o755) == nil {
		_ = os.WriteFile(path, b, 0o644) // a cache: losing it costs one probe
	}
}

// lockedBuffer is a bytes.Buffer safe for a writing process and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 { // QEMU's register dumps are the largest output; keep the start
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
