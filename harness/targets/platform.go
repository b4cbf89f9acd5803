package targets

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

// Platform is the machine the harness runs on, as far as setting it up
// goes: its OS and architecture, whether it is Windows' WSL2, and whether it
// installs packages with apt-get (Debian, Ubuntu).
type Platform struct {
	OS, Arch string // GOOS, GOARCH
	WSL      bool   // Linux inside Windows' WSL2
	Apt      bool   // a Debian-family system (/etc/debian_version)
}

// ThisPlatform describes this machine.
func ThisPlatform() Platform {
	p := Platform{OS: runtime.GOOS, Arch: runtime.GOARCH}
	if p.OS == "linux" {
		release, _ := os.ReadFile("/proc/sys/kernel/osrelease")
		p.WSL = isWSL(string(release), os.Getenv("WSL_DISTRO_NAME"))
		_, err := os.Stat("/etc/debian_version")
		p.Apt = err == nil
	}
	return p
}

// isWSL: WSL2's kernel names itself (e.g. 5.15.167.4-microsoft-standard-WSL2),
// and WSL sets WSL_DISTRO_NAME in every distribution's environment.
func isWSL(kernelRelease, distroEnv string) bool {
	return distroEnv != "" || strings.Contains(strings.ToLower(kernelRelease), "microsoft")
}

func (p Platform) String() string {
	switch {
	case p.OS == "darwin":
		return "macOS on " + map[string]string{"arm64": "Apple Silicon (arm64)", "amd64": "Intel (amd64)"}[p.Arch]
	case p.WSL:
		return "Linux in WSL2 (" + p.Arch + ")"
	}
	return p.OS + "/" + p.Arch
}

// QEMUInstall is the command that installs the QEMU which runs a guestArch
// guest here, and whether setup may run it: apt-get on Debian and Ubuntu
// (also inside WSL2); on macOS Homebrew's formula, named but never run
// (Homebrew refuses to run as root and may ask questions).
func (p Platform) QEMUInstall(pkg string) (cmd string, runnable bool) {
	switch {
	case p.OS == "darwin":
		return "brew install qemu", false
	case p.Apt:
		return "sudo apt-get install -y --no-install-recommends " + pkg, true
	}
	return fmt.Sprintf("your distribution's QEMU package (Debian and Ubuntu call it %s)", pkg), false
}

// DockerInstall says how to get a Docker engine here.
func (p Platform) DockerInstall() string {
	switch {
	case p.OS == "darwin":
		return "install and start Docker Desktop, Colima (brew install colima docker; colima start), OrbStack or Rancher Desktop"
	case p.WSL:
		return "turn on Docker Desktop's WSL integration for this distribution, or install Docker Engine inside it"
	}
	return "install and start Docker Engine (https://docs.docker.com/engine/install/), or set DOCKER_HOST"
}

// AccelAdvice says, for the hardware accelerator this machine offers
// (KVM, HVF) or its absence, what to expect and how to check.
func (p Platform) AccelAdvice() string {
	switch {
	case p.OS == "darwin":
		return "HVF (Hypervisor.framework) runs the guest when `sysctl kern.hv_support` says 1"
	case p.WSL:
		return "KVM is there when /dev/kvm exists and opens: it needs nested virtualization (nestedVirtualization=true under [wsl2] in %UserProfile%\\.wslconfig, then `wsl --shutdown`) and this user in the kvm group"
	}
	return "KVM is there when /dev/kvm exists and this user can open it (the kvm group)"
}
