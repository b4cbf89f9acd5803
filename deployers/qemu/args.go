package qemu

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// vmConfig is everything the QEMU command line depends on.
type vmConfig struct {
	name     string // -name, shows in ps
	guest    guest
	accel    Accel
	kernel   string
	initrd   string
	pidfile  string
	memoryMB int
	cpus     int
	hostPort int
	tscKHz   int // an x86 guest under TCG only; 0: let the kernel calibrate
	env      map[string]string
}

// kernelCmdlineMax is x86's and arm64's COMMAND_LINE_SIZE minus the
// terminating NUL.
const kernelCmdlineMax = 2047

var (
	envKeyPattern   = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	envValuePattern = regexp.MustCompile(`^[A-Za-z0-9._:/@%+,=-]*$`)
)

// kernelCmdline is the guest kernel's command line. The kernel hands the
// parameters it does not know (and that hold no dot) to /init as environment
// variables, which is how the app gets its environment without any file.
func kernelCmdline(c vmConfig) (string, error) {
	parts := []string{
		"console=" + c.guest.console,
		"panic=-1", // reboot at once on a panic; QEMU's -no-reboot turns that into an exit
		"quiet",    // each line on the emulated UART costs time under TCG
		"ip=10.0.2.15::10.0.2.2:255.255.255.0:vm:eth0:off",
		// trace_eval_init queues a walk over every trace event that kept
		// the one vCPU busy for ~0.9 s of a TCG boot; only tracing uses it.
		"initcall_blacklist=trace_eval_init",
	}
	parts = append(parts, c.guest.cmdline...)
	if c.guest.tsc && c.accel == AccelTCG && c.tscKHz > 0 {
		parts = append(parts, "tsc_early_khz="+strconv.Itoa(c.tscKHz))
	}
	env := map[string]string{"PORT": strconv.Itoa(guestPort)}
	for k, v := range c.env {
		env[k] = v
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := env[k]
		if !envKeyPattern.MatchString(k) {
			return "", fmt.Errorf("env %q: a VM's variable names must be upper case letters, digits and _", k)
		}
		if !envValuePattern.MatchString(v) {
			return "", fmt.Errorf("env %s: a VM's values travel on the kernel command line: use letters, digits and ._:/@%%+,=- only", k)
		}
		parts = append(parts, k+"="+v)
	}
	s := strings.Join(parts, " ")
	if len(s) > kernelCmdlineMax {
		return "", fmt.Errorf("env: kernel command line of %d bytes exceeds %d: pass fewer or shorter variables", len(s), kernelCmdlineMax)
	}
	return s, nil
}

// qemuArgs is QEMU's command line. Its initrd and pidfile paths name the VM's
// state directory, which is how Sweep recognises the process as ours.
func qemuArgs(c vmConfig) ([]string, error) {
	cmdline, err := kernelCmdline(c)
	if err != nil {
		return nil, err
	}
	args := []string{
		"-name", c.name,
		"-M", c.guest.machine,
		"-accel", string(c.accel),
		"-nodefaults", "-no-user-config",
		"-display", "none",
		"-serial", "stdio",
		"-no-reboot",
		"-m", strconv.Itoa(c.memoryMB),
		"-smp", strconv.Itoa(c.cpus),
		"-kernel", c.kernel,
		"-initrd", c.initrd,
		"-append", cmdline,
		"-netdev", fmt.Sprintf("user,id=n0,hostfwd=tcp:127.0.0.1:%d-:%d", c.hostPort, guestPort),
		"-device", "virtio-net-device,netdev=n0",
		"-pidfile", c.pidfile,
	}
	if cpu := c.guest.cpu(c.accel); cpu != "" {
		args = append(args, "-cpu", cpu)
	}
	return args, nil
}

// vcpus turns Spec.CPUs into a vCPU count: fractions round up, 0 means 1.
func vcpus(cpus float64) (int, error) {
	if cpus == 0 {
		return 1, nil
	}
	n := int(math.Ceil(cpus))
	if n < 1 || n > 16 {
		return 0, fmt.Errorf("spec: %g CPUs: a local VM takes 1-16", cpus)
	}
	return n, nil
}
