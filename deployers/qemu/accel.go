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
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/computeladder/computeladder/deployers"
)

// Accel is QEMU's accelerator: KVM (Linux) or HVF (macOS's
// Hypervisor.framework) run the guest on the host's CPU; TCG emulates it in
// software, slowly, but on any host and for any guest architecture.
type Accel string

// Accelerators.
const (
	AccelAuto Accel = "auto"
	AccelKVM  Accel = "kvm"
	AccelHVF  Accel = "hvf"
	AccelTCG  Accel = "tcg"
)

// ParseAccel accepts "auto", "kvm", "hvf" or "tcg".
func ParseAccel(s string) (Accel, error) {
	switch a := Accel(s); a {
	case AccelAuto, AccelKVM, AccelHVF, AccelTCG:
		return a, nil
	}
	return "", fmt.Errorf("unknown accelerator %q: use auto, kvm, hvf or tcg", s)
}

// Label is the accelerator's name for humans: "KVM", "HVF", "TCG", "auto".
func (a Accel) Label() string {
	if a == AccelAuto {
		return "auto"
	}
	return strings.ToUpper(string(a))
}

// NativeAccel is the hardware accelerator that can run a guestArch guest on
// a goos/hostArch host: KVM on Linux, HVF on macOS, each only for a guest of
// the host's own architecture. It returns "" and why when there is none:
// then only TCG runs the guest.
func NativeAccel(goos, hostArch, guestArch string) (Accel, string) {
	if guestArch != hostArch {
		return "", fmt.Sprintf("an %s guest on an %s host: only TCG emulates another architecture", guestArch, hostArch)
	}
	switch goos {
	case "linux":
		return AccelKVM, ""
	case "darwin":
		return AccelHVF, ""
	}
	return "", "no hardware accelerator on " + goos
}

// accelFacts is what is known about the hardware accelerator for one guest
// on this host.
type accelFacts struct {
	native    Accel  // KVM or HVF; "" when none can run this guest here
	nativeWhy string // why there is none
	devErr    error  // the native accelerator is unusable (/dev/kvm, kern.hv_support)
	probed    bool   // a probe VM was started with it
	probeErr  error  // the probe VM did not boot
}

// accelVerdict is the accelerator chosen and why.
type accelVerdict struct {
	accel  Accel
	reason string
	// probed is set on the verdict of the call that booted the probe VM:
	// that deployment's preparation includes the probe.
	probed bool
}

// chooseAccel decides the accelerator. An explicit choice is honoured when
// this host can give it (KVM or HVF only for a guest of the host's
// architecture, on Linux or macOS, with the device usable); auto takes the
// hardware accelerator only when a probe VM really booted with it, because
// nested KVM was seen to hang or crash guests while /dev/kvm looked fine.
func chooseAccel(requested Accel, f accelFacts) (accelVerdict, error) {
	switch requested {
	case AccelTCG:
		return accelVerdict{accel: AccelTCG, reason: "requested"}, nil
	case AccelKVM, AccelHVF:
		if f.native != requested {
			why := f.nativeWhy
			if f.native != "" {
				why = "this host offers " + f.native.Label()
			}
			return accelVerdict{}, fmt.Errorf("accel %s: %s: use accel tcg or auto", requested, why)
		}
		if f.devErr != nil {
			return accelVerdict{}, fmt.Errorf("accel %s: %w: use accel tcg or auto, or %s", requested, f.devErr, enableHint(requested))
		}
		return accelVerdict{accel: requested, reason: "requested"}, nil
	case AccelAuto:
		switch {
		case f.native == "":
			return accelVerdict{accel: AccelTCG, reason: f.nativeWhy}, nil
		case f.devErr != nil:
			return accelVerdict{accel: AccelTCG, reason: unusableReason(f.native)}, nil
		case !f.probed:
			return accelVerdict{}, fmt.Errorf("accel auto: %s not probed yet", f.native.Label())
		case f.probeErr != nil:
			return accelVerdict{accel: AccelTCG, reason: f.native.Label() + " probe failed: " + f.probeErr.Error()}, nil
		default:
			return accelVerdict{accel: f.native, reason: f.native.Label() + " probe booted"}, nil
		}
	}
	return accelVerdict{}, fmt.Errorf("unknown accelerator %q: use auto, kvm, hvf or tcg", requested)
}

// unusableReason says in a few words that the native accelerator is not
// there.
func unusableReason(a Accel) string {
	if a == AccelHVF {
		return "Hypervisor.framework unavailable"
	}
	return "no usable /dev/kvm"
}

// enableHint says what makes the accelerator usable.
func enableHint(a Accel) string {
	if a == AccelHVF {
		return "run on a Mac whose CPU supports Hypervisor.framework (sysctl kern.hv_support = 1)"
	}
	return "give this user access to /dev/kvm (the kvm group; under WSL2 enable nested virtualization)"
}

// checkAccel reports whether the hardware accelerator a can be used here.
func checkAccel(a Accel) error {
	switch a {
	case AccelKVM:
		return checkKVMDevice()
	case AccelHVF:
		return checkHVF()
	}
	return nil
}

// checkKVMDevice reports whether /dev/kvm can be opened read-write.
func checkKVMDevice() error {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open /dev/kvm: %w", err)
	}
	return f.Close()
}

// HostAccel is the hardware accelerator that could run a guestArch guest on
// this machine ("" and why when there is none), and err when it cannot be
// used now. Auto still probes it at the first deployment.
func HostAccel(guestArch string) (a Accel, why string, err error) {
	g, err := guestFor(guestArch)
	if err != nil {
		return "", "", err
	}
	f := accelFactsFor(g)
	return f.native, f.nativeWhy, f.devErr
}

// accelFactsFor gathers what is known, without a probe, about the hardware
// accelerator for guest g on this host.
func accelFactsFor(g guest) accelFacts {
	var f accelFacts
	f.native, f.nativeWhy = NativeAccel(runtime.GOOS, runtime.GOARCH, g.arch)
	if f.native != "" {
		f.devErr = checkAccel(f.native)
	}
	return f
}

// resolveAccel returns the accelerator for the next VM of guest g, probing
// the hardware accelerator once per Deployer and guest architecture (and
// once per state dir and day, through a cache file).
func (d *Deployer) resolveAccel(ctx context.Context, g guest, qemuBin, kernel string) (accelVerdict, error) {
	f := accelFactsFor(g)
	if d.accel != AccelAuto {
		v, err := chooseAccel(d.accel, f)
		if err == nil {
			d.remember(g.arch, v)
		}
		return v, err
	}
	d.probeMu.Lock()
	defer d.probeMu.Unlock()
	if v, ok := d.probed[g.arch]; ok {
		d.last = lastVM{g.arch, v}
		return v, nil
	}
	ran := false
	if f.native != "" && f.devErr == nil {
		f.probed = true
		cache := filepath.Join(d.stateDir, "accel-probe-"+g.arch+".json")
		if cached, ok := readProbeCache(cache, f.native, qemuBin, kernel); ok {
			f.probeErr = cached
		} else {
			start := time.Now()
			f.probeErr = probeAccel(ctx, f.native, g, qemuBin, kernel, probeTimeout)
			ran = true
			if ctx.Err() != nil {
				// An interrupted probe says nothing about the accelerator.
				return accelVerdict{}, fmt.Errorf("%s probe: %w", f.native, ctx.Err())
			}
			d.log.Info("accelerator probe", "accel", f.native, "guest", g.arch, "ok", f.probeErr == nil, "err", f.probeErr, "took", time.Since(start))
			writeProbeCache(cache, f.native, qemuBin, kernel, f.probeErr)
		}
	}
	v, err := chooseAccel(AccelAuto, f)
	if err != nil {
		return v, err
	}
	d.probed[g.arch] = v
	d.last = lastVM{g.arch, v}
	// Only the verdict of the call that booted the probe says so: that
	// deployment's preparation includes it.
	v.probed = ran
	return v, nil
}

// remember records the verdict of the latest VM, for Info.
func (d *Deployer) remember(arch string, v accelVerdict) {
	d.probeMu.Lock()
	d.last = lastVM{arch, v}
	d.probeMu.Unlock()
}

// probeTimeout bounds the accelerator probe: with KVM or HVF the kernel
// reaches its "no root file system" panic in well under a second.
const probeTimeout = 10 * time.Second

// probeArgs is the probe VM's command line: the guest's kernel without an
// initramfs, on the guest's machine, under accel.
func probeArgs(a Accel, g guest, kernel string) []string {
	args := []string{"-M", g.machine, "-accel", string(a), "-nodefaults", "-no-user-config",
		"-display", "none", "-serial", "stdio", "-no-reboot", "-m", "128", "-smp", "1",
		"-kernel", kernel, "-append", "console=" + g.console + " panic=-1 quiet"}
	if cpu := g.cpu(a); cpu != "" {
		args = append(args, "-cpu", cpu)
	}
	return args
}

// probeAccel boots the kernel without an initramfs under the hardware
// accelerator a. A working one runs it to the panic "VFS: Unable to mount
// root fs", after which QEMU exits (-no-reboot); a broken one reports an
// internal error or hangs.
func probeAccel(ctx context.Context, a Accel, g guest, qemuBin, kernel string, timeout time.Duration) error {
	cmd := exec.Command(qemuBin, probeArgs(a, g, kernel)...)
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
	err := deployers.Poll(ctx, 20*time.Millisecond, timeout, func(context.Context) (bool, error) {
		select {
		case err := <-done:
			done <- err // for the deferred receive
			if strings.Contains(out.String(), "Kernel panic") {
				return true, nil
			}
			return false, fmt.Errorf("qemu exited before the kernel ran (%v): %s", err, lastLine(out.String()))
		default:
		}
		if s := out.String(); strings.Contains(s, "KVM internal error") || strings.Contains(s, "emulation failure") {
			return false, errors.New("KVM internal error (nested KVM cannot run this guest)")
		}
		return false, nil
	})
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("guest did not boot within %s under %s", timeout, a.Label())
	}
	return err
}

type probeCache struct {
	Accel   Accel     `json:"accel"`
	QEMU    string    `json:"qemu"`
	Kernel  string    `json:"kernel"`
	OK      bool      `json:"ok"`
	Error   string    `json:"error,omitempty"`
	Checked time.Time `json:"checked"`
}

// probeCacheTTL: a failing probe costs up to probeTimeout, not worth paying
// on every run, but the host's accelerator may be fixed (or break) meanwhile.
const probeCacheTTL = 24 * time.Hour

func readProbeCache(path string, a Accel, qemuBin, kernel string) (error, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var c probeCache
	if json.Unmarshal(b, &c) != nil || c.Accel != a || c.QEMU != qemuBin || c.Kernel != kernel || time.Since(c.Checked) > probeCacheTTL {
		return nil, false
	}
	if c.OK {
		return nil, true
	}
	return errors.New(c.Error + " (cached)"), true
}

func writeProbeCache(path string, a Accel, qemuBin, kernel string, probeErr error) {
	c := probeCache{Accel: a, QEMU: qemuBin, Kernel: kernel, OK: probeErr == nil, Checked: time.Now().UTC()}
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
