package qemu

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/computeladder/computeladder/deployers"
)

// Teardown stops the VM's QEMU (SIGTERM, then SIGKILL after a grace period)
// and removes its state directory. It accepts nil, can be called again, and
// finds the process from the state directory when the deployment carries no
// in-memory handle (say, it was read back from a report).
func (d *Deployer) Teardown(ctx context.Context, dep *deployers.Deployment) error {
	if dep == nil {
		return nil
	}
	dir := dep.Details["state_dir"]
	var exited <-chan struct{}
	var known []int
	if v, ok := dep.State.(*vm); ok && v != nil {
		dir, exited, known = v.dir, v.exited, []int{v.cmd.Process.Pid}
	} else if p, err := strconv.Atoi(dep.Details["pid"]); err == nil {
		known = []int{p}
	}
	if dir == "" {
		return nil // nothing was created
	}
	if !d.inStateDir(dir) {
		return fmt.Errorf("teardown: %s is not a VM directory under %s: use the deployer that created it", dir, d.stateDir)
	}
	return d.removeVM(ctx, dir, exited, known...)
}

// removeVM stops whatever QEMU runs for dir, then removes dir.
func (d *Deployer) removeVM(ctx context.Context, dir string, exited <-chan struct{}, known ...int) error {
	var errs []error
	if err := stopQEMU(ctx, dir, qemuPIDs(dir, known...), exited); err != nil {
		errs = append(errs, fmt.Errorf("vm %s: %w", filepath.Base(dir), err))
	}
	if len(errs) == 0 { // never delete the files of a VM that still runs
		if err := removeVMDir(dir); err != nil {
			errs = append(errs, fmt.Errorf("vm %s: %w", filepath.Base(dir), err))
		}
	}
	return errors.Join(errs...)
}

// List returns the VMs of runID (of every run when empty), from the state
// directories on disk: Kind "qemu-vm", ID the VM id.
func (d *Deployer) List(ctx context.Context, runID string) ([]deployers.Resource, error) {
	dirs, err := d.vmDirs(runID)
	if err != nil {
		return nil, err
	}
	res := make([]deployers.Resource, 0, len(dirs))
	for _, dir := range dirs {
		res = append(res, resourceOf(dir))
	}
	return res, ctx.Err()
}

// Sweep stops and removes the VMs of runID (of every run when empty) and
// returns those it removed. It works from disk and the process table only,
// so it cleans up after a harness that was killed.
func (d *Deployer) Sweep(ctx context.Context, runID string) ([]deployers.Resource, error) {
	dirs, err := d.vmDirs(runID)
	if err != nil {
		return nil, err
	}
	var removed []deployers.Resource
	var errs []error
	for _, dir := range dirs {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		r := resourceOf(dir)
		var known []int
		if m, err := readMeta(dir); err == nil {
			known = append(known, m.PID)
		}
		if err := d.removeVM(ctx, dir, nil, known...); err != nil {
			errs = append(errs, err)
			continue
		}
		d.log.Info("swept", "resource", r.String())
		removed = append(removed, r)
	}
	return removed, errors.Join(errs...)
}

// resourceOf describes a VM directory; the path (<run-id>/<vm-id>) is the
// truth, so a missing or damaged meta.json does not hide the VM.
// The owner comes from meta.json (none when it cannot be read: a VM whose
// start was cut short is anyone's to sweep).
func resourceOf(dir string) deployers.Resource {
	r := deployers.Resource{
		Kind:    resourceKind,
		ID:      filepath.Base(dir),
		RunID:   filepath.Base(filepath.Dir(dir)),
		Variant: deployers.VM,
	}
	if m, err := readMeta(dir); err == nil {
		r.Owner = m.Owner
	}
	return r
}
