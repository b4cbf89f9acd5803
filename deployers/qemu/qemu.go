// Package qemu deploys the VM variant locally as a QEMU microVM: the gokrazy
// kernel (from its Go module) boots an initramfs whose /init is the app's VM
// adapter, the kernel's ip= parameter configures the network and QEMU's user
// network forwards a 127.0.0.1 port to the app. The guest is amd64 (machine
// microvm) or arm64 (machine virt), as the VM binary is; it runs under KVM
// (Linux) or HVF (macOS) when the host has the same architecture and the
// accelerator works, else under TCG.
//
// Every VM lives in its own state directory, <state>/<run-id>/<vm-id>/, that
// holds its initramfs, a meta.json and its console log; QEMU's command line
// names that directory. List and Sweep find VMs from those directories and
// from the process table, never from memory, so the VMs of a killed harness can be
// cleaned up by a later one.
package qemu

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/computeladder/computeladder/deployers"

	// The kernels come from these modules; the blank imports keep them
	// required so that "go mod download" fetches them.
	_ "github.com/gokrazy/kernel.amd64"
	_ "github.com/gokrazy/kernel.arm64"
)

// Phase names of the startup timeline, in order; the console adds
// "kernel", "init", "listening" and "answered" between the last two where
// it shows them.
const (
	PhaseDeploy      = "deploy"       // Deploy was called
	PhaseQEMUStarted = "qemu-started" // the QEMU process runs
	PhaseListening   = "listening"    // the app's socket is bound (its console line)
	PhaseAnswered    = "answered"     // the app served its first request (its console line)
	PhaseFirst200    = deployers.PhaseFirst200
)

// StartupOrigin is the phase this backend's startup is measured from
// (deployers.Deployment.StartupFrom): the QEMU process, which boots the
// prepared kernel and initramfs, has started.
const StartupOrigin = PhaseQEMUStarted

// What the phases before StartupOrigin did (deployers.Deployment.Preparation):
// writing the initramfs and, on the deployment that first needed it, the
// boot of a probe VM that decides between KVM and TCG — which a cloud does
// before it boots an image.
const (
	PreparationProbe = "accelerator probe + initramfs"
	Preparation      = "initramfs"
)

// Defaults of a VM.
const (
	DefaultMemoryMB     = 256
	DefaultReadyTimeout = 60 * time.Second
	// guestPort is the port the app listens on inside the VM.
	guestPort = 8080
)

// Deployer starts microVMs with QEMU. Create it with New.
type Deployer struct {
	log      *slog.Logger
	accel    Accel
	kernel   string // empty: the guest's kernel module, located at Deploy time
	qemu     string // empty: the guest's QEMU binary
	stateDir string
	port     int // 0: a free port per VM
	tscKHz   int // 0: read from the host at Deploy time; <0: never pass it

	probeMu sync.Mutex
	probed  map[string]accelVerdict // auto's verdict per guest arch
	last    lastVM                  // the latest VM's guest and accelerator
}

// lastVM is what Info says about the latest VM.
type lastVM struct {
	arch    string
	verdict accelVerdict
}

var _ deployers.Deployer = (*Deployer)(nil)

// Option configures a Deployer.
type Option func(*Deployer) error

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(d *Deployer) error {
		if l != nil {
			d.log = l
		}
		return nil
	}
}

// WithAccel chooses the accelerator: AccelAuto (default: KVM on Linux or HVF
// on macOS if a probe VM boots with it, else TCG), AccelKVM, AccelHVF or
// AccelTCG.
func WithAccel(a Accel) Option {
	return func(d *Deployer) error {
		if _, err := ParseAccel(string(a)); err != nil {
			return err
		}
		d.accel = a
		return nil
	}
}

// WithKernel sets the kernel image for every guest (default: vmlinuz of the
// guest's module, github.com/gokrazy/kernel.amd64 or kernel.arm64).
func WithKernel(path string) Option {
	return func(d *Deployer) error { d.kernel = path; return nil }
}

// WithQEMU sets the QEMU binary for every guest, a path or a name looked up
// in PATH (default: qemu-system-x86_64 for an amd64 guest,
// qemu-system-aarch64 for an arm64 one).
func WithQEMU(binary string) Option {
	return func(d *Deployer) error {
		if binary == "" {
			return fmt.Errorf("qemu option: empty QEMU binary")
		}
		d.qemu = binary
		return nil
	}
}

// WithStateDir sets the directory that holds the VMs' state directories
// (default: see DefaultStateDir).
func WithStateDir(dir string) Option {
	return func(d *Deployer) error {
		if dir == "" {
			return fmt.Errorf("qemu option: empty state dir")
		}
		d.stateDir = dir
		return nil
	}
}

// WithPort fixes the host port forwarded to the app (default: a free port
// per VM). With a fixed port only one VM can run at a time.
func WithPort(port int) Option {
	return func(d *Deployer) error {
		if port < 1 || port > 65535 {
			return fmt.Errorf("qemu option: port %d: use 1-65535", port)
		}
		d.port = port
		return nil
	}
}

// WithTSCKHz tells an x86 guest under TCG the frequency of its time stamp
// counter, in kHz (default: an x86 host's, from /proc/cpuinfo on Linux or
// sysctl on macOS; a negative value lets the kernel calibrate it, which
// under a loaded TCG host can fail and hang the boot).
func WithTSCKHz(khz int) Option {
	return func(d *Deployer) error { d.tscKHz = khz; return nil }
}

// New returns a Deployer. It checks the options only; a missing QEMU or
// kernel is reported by Deploy, so that List and Sweep work without them.
func New(opts ...Option) (*Deployer, error) {
	d := &Deployer{
		log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		accel:  AccelAuto,
		probed: map[string]accelVerdict{},
	}
	for _, o := range opts {
		if err := o(d); err != nil {
			return nil, err
		}
	}
	if d.stateDir == "" {
		dir, err := DefaultStateDir()
		if err != nil {
			return nil, err
		}
		d.stateDir = dir
	}
	abs, err := filepath.Abs(d.stateDir)
	if err != nil {
		return nil, fmt.Errorf("qemu state dir: %w", err)
	}
	d.stateDir = abs
	return d, nil
}

// DefaultStateDir is $COMPUTELADDER_STATE_DIR/qemu, else
// $XDG_STATE_HOME/computeladder/qemu, else ~/.local/state/computeladder/qemu.
func DefaultStateDir() (string, error) {
	if dir := os.Getenv("COMPUTELADDER_STATE_DIR"); dir != "" {
		return filepath.Join(dir, "qemu"), nil
	}
	if dir := os.Getenv("XDG_STATE_HOME"); dir != "" {
		return filepath.Join(dir, "computeladder", "qemu"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("qemu state dir: %w: set COMPUTELADDER_STATE_DIR", err)
	}
	return filepath.Join(home, ".local", "state", "computeladder", "qemu"), nil
}

// Info describes the backend. The guest and its accelerator are named once
// they are known: after the first Deploy.
func (d *Deployer) Info() deployers.Info {
	d.probeMu.Lock()
	last := d.last
	d.probeMu.Unlock()
	desc := "local microVM (QEMU, KVM or HVF if it boots, else TCG, 1 vCPU)"
	switch {
	case last.arch != "":
		g := guests[last.arch]
		desc = fmt.Sprintf("local microVM (QEMU %s, %s guest, %s, 1 vCPU)", g.machine, last.arch, last.verdict.accel.Label())
	case d.accel != AccelAuto:
		desc = fmt.Sprintf("local microVM (QEMU, %s, 1 vCPU)", d.accel.Label())
	}
	return deployers.Info{
		Name:        "qemu",
		Variant:     deployers.VM,
		Target:      "local",
		Description: desc,
	}
}
