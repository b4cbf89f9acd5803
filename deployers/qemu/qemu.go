// Package qemu deploys the VM variant locally as a QEMU microVM: the gokrazy
// kernel (from its Go module) boots an initramfs whose /init is the app's VM
// adapter, the kernel's ip= parameter configures the network and QEMU's user
// network forwards a 127.0.0.1 port to the app.
//
// Every VM lives in its own state directory, <state>/<run-id>/<vm-id>/, that
// holds its initramfs, a meta.json and its console log; QEMU's command line
// names that directory. List and Sweep find VMs from those directories and
// from /proc, never from memory, so the VMs of a killed harness can be
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

	// The kernel comes from this module; the blank import keeps it required
	// so that "go mod download" fetches it.
	_ "github.com/gokrazy/kernel.amd64"
)

// Phase names of the startup timeline, in order; the console adds
// "kernel", "init" and "listening" between the last two where it shows them.
const (
	PhaseDeploy      = "deploy"       // Deploy was called
	PhaseQEMUStarted = "qemu-started" // the QEMU process runs
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
	kernel   string // empty: located at Deploy time
	qemu     string
	stateDir string
	port     int // 0: a free port per VM
	tscKHz   int // 0: read from the host at Deploy time; <0: never pass it

	probeMu sync.Mutex
	probed  *accelVerdict // cached result of the KVM probe
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

// WithAccel chooses the accelerator: AccelAuto (default: KVM if a probe VM
// boots with it, else TCG), AccelKVM or AccelTCG.
func WithAccel(a Accel) Option {
	return func(d *Deployer) error {
		if _, err := ParseAccel(string(a)); err != nil {
			return err
		}
		d.accel = a
		return nil
	}
}

// WithKernel sets the kernel image (default: vmlinuz of the
// github.com/gokrazy/kernel.amd64 module).
func WithKernel(path string) Option {
	return func(d *Deployer) error { d.kernel = path; return nil }
}

// WithQEMU sets the QEMU binary, a path or a name looked up in PATH
// (default: qemu-system-x86_64).
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

// WithTSCKHz tells a TCG guest the frequency of its time stamp counter, in
// kHz (default: the host's, from /proc/cpuinfo; a negative value lets the
// kernel calibrate it, which under a loaded TCG host can fail and hang the
// boot).
func WithTSCKHz(khz int) Option {
	return func(d *Deployer) error { d.tscKHz = khz; return nil }
}

// New returns a Deployer. It checks the options only; a missing QEMU or
// kernel is reported by Deploy, so that List and Sweep work without them.
func New(opts ...Option) (*Deployer, error) {
	d := &Deployer{
		log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		accel: AccelAuto,
		qemu:  "qemu-system-x86_64",
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

// Info describes the backend. The accelerator is named once it is known:
// after the first Deploy when it is chosen automatically.
func (d *Deployer) Info() deployers.Info {
	accel := "KVM if it boots, else TCG"
	switch {
	case d.accel != AccelAuto:
		accel = d.accel.Label()
	default:
		d.probeMu.Lock()
		if d.probed != nil {
			accel = d.probed.accel.Label()
		}
		d.probeMu.Unlock()
	}
	return deployers.Info{
		Name:        "qemu",
		Variant:     deployers.VM,
		Target:      "local",
		Description: fmt.Sprintf("local microVM (QEMU microvm, %s, 1 vCPU)", accel),
	}
}
