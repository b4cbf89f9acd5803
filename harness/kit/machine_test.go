package kit

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestThisMachine(t *testing.T) {
	m := ThisMachine()
	if m.OS != runtime.GOOS || m.Arch != runtime.GOARCH || m.CPUs < 1 || m.Kernel == "" || m.MemoryMiB < 64 {
		t.Fatalf("ThisMachine() = %+v", m)
	}
	if runtime.GOOS != "linux" {
		return
	}
	// On Linux the figures are the kernel's own.
	release, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(release)); m.Kernel != want {
		t.Errorf("Kernel = %q, /proc says %q", m.Kernel, want)
	}
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(cpuinfo), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			if want := strings.Join(strings.Fields(value), " "); m.CPUModel != want {
				t.Errorf("CPUModel = %q, /proc/cpuinfo says %q", m.CPUModel, want)
			}
			break
		}
	}
	meminfo, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(meminfo), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.Atoi(f[1])
			if want := kb / 1024; m.MemoryMiB != want {
				t.Errorf("MemoryMiB = %d, /proc/meminfo says %d", m.MemoryMiB, want)
			}
			return
		}
	}
	t.Error("no MemTotal in /proc/meminfo")
}
