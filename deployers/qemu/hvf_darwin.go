package qemu

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// checkHVF reports whether Hypervisor.framework can run guests: the kernel
// says so in kern.hv_support (1 on every Apple Silicon Mac, and on Intel
// Macs whose CPU has VT-x with EPT).
func checkHVF() error {
	v, err := unix.SysctlUint32("kern.hv_support")
	if err != nil {
		return fmt.Errorf("sysctl kern.hv_support: %w", err)
	}
	if v != 1 {
		return errors.New("kern.hv_support is 0: this Mac cannot run Hypervisor.framework guests")
	}
	return nil
}
