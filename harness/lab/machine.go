package lab

import (
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/computeladder/computeladder/harness/results"
)

// ThisMachine describes the machine the harness runs on, for the report.
func ThisMachine() results.Machine {
	m := results.Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemoryMiB = memTotalMiB(string(b))
	}
	return m
}

// memTotalMiB reads MemTotal from /proc/meminfo's text (0 if absent).
func memTotalMiB(meminfo string) int {
	for _, line := range strings.Split(meminfo, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.Atoi(f[1])
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}
