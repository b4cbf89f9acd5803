//go:build !linux && !darwin

package qemu

// hostTSCKHz: unknown on this OS; the guest kernel calibrates its TSC.
func hostTSCKHz() int { return 0 }
