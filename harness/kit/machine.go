package kit

import (
	"runtime"
	"strings"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/computeladder/computeladder/harness/results"
)

// ThisMachine describes the machine the harness runs on, for the report.
// gopsutil reads the kernel release and the memory size from /proc on Linux
// and from sysctl on macOS, and the CPU's model name from /proc/cpuinfo
// ("model name", or on ARM the part number's name) and from sysctl
// machdep.cpu.brand_string; a figure it cannot read is left out.
func ThisMachine() results.Machine {
	m := results.Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if v, err := host.KernelVersion(); err == nil {
		m.Kernel = v
	}
	if vm, err := mem.VirtualMemory(); err == nil {
		m.MemoryMiB = int(vm.Total >> 20)
	}
	m.CPUModel = cpuModel()
	return m
}

// cpuModel is the first CPU's model name, or "" where none is known
// (gopsutil says "Undefined" for an ARM part it has no name for).
func cpuModel() string {
	infos, err := cpu.Info()
	if err != nil || len(infos) == 0 {
		return ""
	}
	name := strings.Join(strings.Fields(infos[0].ModelName), " ")
	if name == "Undefined" {
		return ""
	}
	return name
}
