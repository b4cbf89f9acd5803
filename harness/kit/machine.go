package kit

import (
	"runtime"

	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/computeladder/computeladder/harness/results"
)

// ThisMachine describes the machine the harness runs on, for the report.
// gopsutil reads the kernel release and the memory size from /proc on Linux
// and from sysctl on macOS; a figure it cannot read is left out.
func ThisMachine() results.Machine {
	m := results.Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if v, err := host.KernelVersion(); err == nil {
		m.Kernel = v
	}
	if vm, err := mem.VirtualMemory(); err == nil {
		m.MemoryMiB = int(vm.Total >> 20)
	}
	return m
}
