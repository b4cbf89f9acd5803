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

// findKernel returns the kernel image: the configured one, else vmlinuz in
// the directory of kernelModule (the guest's) as the go command reports it
// (run from the module root, found from the working directory up).
func findKernel(ctx context.Context, configured, kernelModule string) (string, error) {
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

// parseCPUInfoTSC reads the TSC frequency, in kHz, from Linux's
// /proc/cpuinfo: the first "cpu MHz", if the flags promise a constant TSC
// (else 0).
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
