package qemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/computeladder/computeladder/deployers"
)

// Files of a VM's state directory.
const (
	metaFile     = "meta.json"
	initrdFile   = "initramfs.cpio"
	consoleFile  = "console.log"
	stderrFile   = "qemu-stderr.log"
	pidFile      = "qemu.pid"
	resourceKind = "qemu-vm"
)

// meta is a VM's meta.json. The run id and variant are stored under the
// label keys (deployers.LabelRunID, deployers.LabelVariant), like a Docker
// label, so that a look at the file says which run owns the VM.
type meta struct {
	RunID   string            `json:"computeladder.run-id"`
	Variant deployers.Variant `json:"computeladder.variant"`
	// Owner is the harness process that started the VM (deployers.Self).
	Owner   string    `json:"computeladder.owner,omitempty"`
	VMID    string    `json:"vm_id"`
	PID     int       `json:"pid"`
	Port    int       `json:"port"`
	Accel   Accel     `json:"accel"`
	Created time.Time `json:"created"`
}

func writeMeta(dir string, m meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("meta: %w", err)
	}
	// Write then rename: Sweep may read the file at any moment.
	tmp := filepath.Join(dir, metaFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write meta: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, metaFile)); err != nil {
		return fmt.Errorf("write meta: %w", err)
	}
	return nil
}

func readMeta(dir string) (meta, error) {
	var m meta
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("read %s: %w", filepath.Join(dir, metaFile), err)
	}
	return m, nil
}

// vmDirs lists the VM state directories of runID (of every run when empty).
// A directory without a readable meta.json still counts: it is a VM whose
// start was interrupted, and it must be swept too.
func (d *Deployer) vmDirs(runID string) ([]string, error) {
	runs := []string{runID}
	if runID == "" {
		entries, err := os.ReadDir(d.stateDir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list state dir: %w", err)
		}
		runs = runs[:0]
		for _, e := range entries {
			if e.IsDir() && deployers.ValidateRunID(e.Name()) == nil {
				runs = append(runs, e.Name())
			}
		}
	} else if err := deployers.ValidateRunID(runID); err != nil {
		return nil, err
	}
	var dirs []string
	for _, r := range runs {
		entries, err := os.ReadDir(filepath.Join(d.stateDir, r))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list state dir: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() && strings.HasPrefix(e.Name(), "vm-") {
				dirs = append(dirs, filepath.Join(d.stateDir, r, e.Name()))
			}
		}
	}
	return dirs, nil
}

// inStateDir reports whether dir is a VM directory under the state dir, so
// that a tampered Deployment never makes Teardown remove anything else.
func (d *Deployer) inStateDir(dir string) bool {
	rel, err := filepath.Rel(d.stateDir, filepath.Clean(dir))
	if err != nil {
		return false
	}
	parts := strings.Split(rel, string(filepath.Separator))
	return len(parts) == 2 && deployers.ValidateRunID(parts[0]) == nil && strings.HasPrefix(parts[1], "vm-")
}

// isOurQEMU reports whether pid is a QEMU process started for the VM in dir:
// a pid from a file may have been reused by an unrelated process since.
// gopsutil reads the command line from /proc on Linux and from sysctl
// (kern.procargs2) on macOS.
func isOurQEMU(pid int, dir string) bool {
	if pid < 1 || pid > math.MaxInt32 {
		return false
	}
	args, err := (&process.Process{Pid: int32(pid)}).CmdlineSlice()
	if err != nil || len(args) == 0 { // gone, or a zombie (whose command line is empty)
		return false
	}
	if !strings.HasPrefix(filepath.Base(args[0]), "qemu-system") {
		return false
	}
	prefix := filepath.Clean(dir) + string(filepath.Separator)
	for _, a := range args[1:] {
		if strings.HasPrefix(a, prefix) {
			return true
		}
	}
	return false
}

// qemuPIDs finds the QEMU processes of the VM in dir: the pid recorded in
// meta.json and QEMU's pidfile, and, in case the harness died before writing
// either, any QEMU process whose command line names dir.
func qemuPIDs(dir string, known ...int) []int {
	seen := map[int]bool{}
	var pids []int
	add := func(pid int) {
		if !seen[pid] && isOurQEMU(pid, dir) {
			seen[pid] = true
			pids = append(pids, pid)
		}
	}
	for _, p := range known {
		add(p)
	}
	if b, err := os.ReadFile(filepath.Join(dir, pidFile)); err == nil {
		if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			add(p)
		}
	}
	all, err := process.Pids()
	if err != nil {
		return pids
	}
	for _, p := range all {
		add(int(p))
	}
	return pids
}

// stopGrace is how long QEMU gets to quit on SIGTERM before SIGKILL.
const stopGrace = 3 * time.Second

// stopQEMU sends SIGTERM to the VM's QEMU processes, SIGKILL to those left
// after the grace period, and waits until none is left. exited, when not
// nil, is closed once our own child has been reaped.
func stopQEMU(ctx context.Context, dir string, pids []int, exited <-chan struct{}) error {
	alive := func() []int {
		var left []int
		for _, p := range pids {
			if isOurQEMU(p, dir) {
				left = append(left, p)
			}
		}
		return left
	}
	wait := func(d time.Duration) bool {
		wctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		if deployers.Poll(wctx, 10*time.Millisecond, 0, func(context.Context) (bool, error) {
			return len(alive()) == 0, nil
		}) != nil {
			return false
		}
		if exited != nil { // reap our child, so no zombie is left
			select {
			case <-exited:
			case <-wctx.Done():
			}
		}
		return true
	}
	signal := func(sig syscall.Signal) error {
		var errs []error
		for _, p := range alive() {
			if err := syscall.Kill(p, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, fmt.Errorf("signal qemu %d: %w", p, err))
			}
		}
		return errors.Join(errs...)
	}
	if len(alive()) == 0 {
		return nil
	}
	if err := signal(syscall.SIGTERM); err != nil {
		return err
	}
	if wait(stopGrace) {
		return nil
	}
	if err := signal(syscall.SIGKILL); err != nil {
		return err
	}
	if wait(5 * time.Second) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("stop qemu: %w", err)
	}
	return fmt.Errorf("stop qemu: processes %v still running after SIGKILL", alive())
}

// removeVMDir removes a VM's state directory and its run directory when that
// is left empty.
func removeVMDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove state dir: %w", err)
	}
	_ = os.Remove(filepath.Dir(dir)) // fails while other VMs of the run exist: fine
	return nil
}
