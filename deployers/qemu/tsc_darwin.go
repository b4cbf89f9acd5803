package qemu

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// hostTSCKHz reads an Intel Mac's TSC frequency from sysctl
// machdep.tsc.frequency (in Hz; every Intel Mac's TSC is invariant). See
// tsc_linux.go for why an x86 guest under TCG wants it. Apple Silicon has
// no TSC: 0.
func hostTSCKHz() int {
	if runtime.GOARCH != "amd64" {
		return 0
	}
	hz, err := unix.SysctlUint64("machdep.tsc.frequency")
	if err != nil || hz < 100e6 || hz > 100e9 {
		return 0
	}
	return int((hz + 500) / 1000)
}
