package qemu

import (
	"os"
	"runtime"
)

// hostTSCKHz reads the host's TSC frequency from /proc/cpuinfo. Under TCG an
// x86 guest's TSC counts at the host's rate; telling the guest kernel so
// spares it the calibration against the emulated PIT, which fails when the
// host is busy ("tsc: Unable to calibrate against PIT") and then hangs the
// boot. It returns 0 when the host does not promise a constant TSC, and on
// a host that is not x86 (which has no TSC to read).
func hostTSCKHz() int {
	if runtime.GOARCH != "amd64" {
		return 0
	}
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return parseCPUInfoTSC(b)
}
