package qemu

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const kernelModule = "github.com/gokrazy/kernel.amd64"

// findKernel returns the kernel image: the configured one, else vmlinuz in
// the kernel module's directory as the go command reports it (run from the
// module root, found from the working directory up).
func findKernel(ctx context.Context, configured string) (string, error) {
	if configured != "" {
		if err := checkFile(configured); err != nil {
			return "", fmt.Errorf("kernel: %w: fix the kernel path option", err)
		}
		return filepath.Abs(configured)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", kernelModule)
	if root, err := moduleRoot(); err == nil {
		cmd.Dir = root
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		return "", fmt.Errorf("kernel: cannot locate module %s (%v: %s): run \"go mod download %s\" in the computeladder checkout, or set the kernel path",
			kernelModule, err, strings.TrimSpace(stderr.String()), kernelModule)
	}
	path := filepath.Join(dir, "vmlinuz")
	if err := checkFile(path); err != nil {
		return "", fmt.Errorf("kernel: %w: run \"go mod download %s\"", err, kernelModule)
	}
	return path, nil
}

func checkFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}

// moduleRoot walks up from the working directory to the first go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// hostTSCKHz reads the host's TSC frequency from /proc/cpuinfo. Under TCG the
// guest's TSC counts at the host's rate; telling the guest kernel so spares it
// the calibration against the emulated PIT, which fails when the host is busy
// ("tsc: Unable to calibrate against PIT") and then hangs the boot. It
// returns 0 when the host does not promise a constant TSC.
func hostTSCKHz() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return parseCPUInfoTSC(b)
}

func parseCPUInfoTSC(cpuinfo []byte) int {
	var mhz float64
	constant := false
	s := bufio.NewScanner(bytes.NewReader(cpuinfo))
	s.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "cpu MHz":
			if mhz == 0 {
				mhz, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
			}
		case "flags":
			for _, f := range strings.Fields(v) {
				if f == "constant_tsc" {
					constant = true
				}
			}
		}
		if mhz != 0 && constant {
			break
		}
	}
	if !constant || mhz < 100 || mhz > 100_000 {
		return 0
	}
	return int(mhz*1000 + 0.5)
}
