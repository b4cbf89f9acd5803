package qemu

import (
	"fmt"
	"runtime"
	"strings"
)

// guest is what differs between the guest architectures: the kernel, the
// QEMU binary and the virtual hardware. Everything else (the initramfs, the
// user network, the kernel's ip= and environment parameters) is shared.
type guest struct {
	arch string // GOARCH of the guest
	// kernelModule ships the guest kernel as vmlinuz (the module is
	// required by go.mod, so "go mod download" fetches it).
	kernelModule string
	qemu         string // default QEMU binary
	aptPackage   string // the Debian/Ubuntu package that ships qemu
	machine      string // -M
	console      string // the kernel's console device
	// tcgCPU is the CPU model under TCG, kvmCPU under KVM (empty: QEMU's
	// default). HVF always gets the host's CPU.
	tcgCPU, kvmCPU string
	// cmdline are the kernel parameters of this architecture only.
	cmdline []string
	// tsc: the guest kernel takes tsc_early_khz (x86 only).
	tsc bool
}

// guests are the supported guest architectures, by GOARCH.
var guests = map[string]guest{
	"amd64": {
		arch:         "amd64",
		kernelModule: "github.com/gokrazy/kernel.amd64",
		qemu:         "qemu-system-x86_64",
		aptPackage:   "qemu-system-x86",
		// microvm: no PCI, no ACPI, no firmware to run; virtio-mmio devices.
		machine: "microvm",
		console: "ttyS0",
		// QEMU's default CPU model offers SVM and VMX, and the kernel's KVM
		// code spends ~0.3 s of a TCG boot setting them up for nothing.
		// qemu64 is an AMD model, so the kernel deems it not affected by
		// Meltdown and keeps page-table isolation off (no page-table switch,
		// hence no flush of QEMU's soft TLB, per syscall); it does pick
		// retpolines for Spectre v2, but taking them out under TCG
		// (spectre_v2=off) did not shorten the first request: first 200 −
		// "listening" 56.5 ms against 52.9 ms with them (median of 15 boots
		// each, interleaved, QEMU 7.2, 2026-11-30).
		tcgCPU: "qemu64,-svm,-vmx",
		cmdline: []string{
			// Reboot by triple fault straight away instead of first trying
			// the ACPI and keyboard-controller resets, which a microvm lacks.
			"reboot=t",
			// Probe one UART, not four: the console is ttyS0.
			"8250.nr_uarts=1",
		},
		tsc: true,
	},
	"arm64": {
		arch:         "arm64",
		kernelModule: "github.com/gokrazy/kernel.arm64",
		qemu:         "qemu-system-aarch64",
		// Debian's qemu-system-arm ships qemu-system-aarch64.
		aptPackage: "qemu-system-arm",
		// virt is arm64's minimal machine; its virtio-mmio transports take
		// the same virtio-net-device as x86's microvm. Its UART is a PL011.
		machine: "virt",
		console: "ttyAMA0",
		// max: every feature TCG emulates; pauth-impdef=on swaps the
		// architected pointer-authentication hash (QARMA, slow to emulate)
		// for QEMU's own cheap one, which the guest cannot tell apart. Here
		// (QEMU 7.2, x86-64 host, 2026-11-30) it brought "listening" from
		// 3.5-3.7 s after QEMU started to 1.5-1.6 s.
		tcgCPU: "max,pauth-impdef=on",
		// virt's default CPU is a 32-bit Cortex-A15: KVM needs the host's.
		kvmCPU: "host",
	},
}

// cpu is the -cpu model under accel ("": QEMU's default).
func (g guest) cpu(a Accel) string {
	switch a {
	case AccelTCG:
		return g.tcgCPU
	case AccelKVM:
		return g.kvmCPU
	case AccelHVF:
		return "host"
	}
	return ""
}

// guestArches lists the guest architectures, as GOARCH values.
var guestArches = []string{"amd64", "arm64"}

// guestFor returns the guest of a GOARCH; empty means this host's.
func guestFor(arch string) (guest, error) {
	if arch == "" {
		arch = runtime.GOARCH
	}
	g, ok := guests[arch]
	if !ok {
		return guest{}, fmt.Errorf("spec: VM binary is for %s: the local microVM runs %s guests: build with --arch amd64 or arm64", arch, strings.Join(guestArches, " or "))
	}
	return g, nil
}

// QEMUBinary is the QEMU binary that runs a guest of arch (a GOARCH), and
// the Debian/Ubuntu package that ships it. ok is false for an architecture
// the microVM does not run.
func QEMUBinary(arch string) (binary, aptPackage string, ok bool) {
	g, ok := guests[arch]
	return g.qemu, g.aptPackage, ok
}

// InstallHint is the command that installs the QEMU which runs an arch
// guest on this OS: Homebrew's qemu formula on macOS (it has every system
// emulator), else Debian's and Ubuntu's package.
func InstallHint(arch string) string {
	return installHint(runtime.GOOS, arch)
}

func installHint(goos, arch string) string {
	if goos == "darwin" {
		return "brew install qemu"
	}
	pkg := "qemu-system-x86 or qemu-system-arm"
	if g, ok := guests[arch]; ok {
		pkg = g.aptPackage
	}
	return "sudo apt-get install -y --no-install-recommends " + pkg
}
