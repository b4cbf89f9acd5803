//go:build !darwin

package qemu

import "errors"

// checkHVF: Hypervisor.framework is macOS's.
func checkHVF() error { return errors.New("hvf needs macOS (Hypervisor.framework)") }
