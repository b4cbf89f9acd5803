package qemu

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/computeladder/computeladder/deployers"
)

// TestMain lets the test binary stand in for QEMU: started with
// FAKE_QEMU=1 it just waits for a signal, under whatever argv[0] it is given.
func TestMain(m *testing.M) {
	if os.Getenv("FAKE_QEMU") == "1" {
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	code := m.Run()
	if testInitDir.path != "" {
		os.RemoveAll(testInitDir.path)
	}
	os.Exit(code)
}

// fake is a stand-in process; exited is closed once it has been reaped.
type fake struct {
	*exec.Cmd
	exited chan struct{}
}

// startFake starts a process whose command line looks like argv, and reaps
// it when it exits (as a dead harness's init would).
func startFake(t *testing.T, argv ...string) fake {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f := fake{&exec.Cmd{Path: self, Args: argv, Env: append(os.Environ(), "FAKE_QEMU=1")}, make(chan struct{})}
	f.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.Wait(); close(f.exited) }()
	t.Cleanup(func() {
		_ = f.Process.Kill()
		<-f.exited
	})
	// The new process's command line is readable only once it has
	// settled (a race-enabled binary may even re-exec itself first): wait
	// for it, so that tests see the fake as the kernel will.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if args, _ := (&process.Process{Pid: int32(f.Process.Pid)}).CmdlineSlice(); slices.Equal(args, argv) {
			return f
		}
	}
	t.Fatalf("fake %v never showed its command line", argv)
	return f
}

// exitsSoon reports whether the fake exited within a few seconds; left
// alone, it waits a minute.
func (f fake) exitsSoon() bool {
	select {
	case <-f.exited:
		return true
	case <-time.After(5 * time.Second):
		return false
	}
}

// fakeVM lays out a VM state directory as Deploy does and returns it.
func fakeVM(t *testing.T, d *Deployer, runID, vmID string, pid int) string {
	t.Helper()
	dir := filepath.Join(d.stateDir, runID, vmID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeMeta(dir, meta{RunID: runID, Variant: deployers.VM, VMID: vmID, PID: pid}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newTestDeployer(t *testing.T, opts ...Option) *Deployer {
	t.Helper()
	d, err := New(append([]Option{WithStateDir(t.TempDir()), WithAccel(AccelTCG)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestSweepKillsOnlyOurQEMU(t *testing.T) {
	d := newTestDeployer(t)
	dirA := filepath.Join(d.stateDir, "run-a", "vm-a")
	// A "QEMU" of run-a whose pid is not in meta.json (the harness died
	// before writing it): found from the process table by its command line.
	qa := startFake(t, "qemu-system-x86_64", "-initrd", filepath.Join(dirA, initrdFile))
	fakeVM(t, d, "run-a", "vm-a", 0)
	// run-b's meta.json names a pid that now belongs to an unrelated
	// process: it must survive the sweep.
	other := startFake(t, "unrelated-daemon", filepath.Join(d.stateDir, "run-b", "vm-b", initrdFile))
	dirB := fakeVM(t, d, "run-b", "vm-b", other.Process.Pid)
	// run-c's "QEMU" names run-c's directory: a sweep of run-a leaves it.
	dirC := filepath.Join(d.stateDir, "run-c", "vm-c")
	qc := startFake(t, "/usr/bin/qemu-system-x86_64", "-pidfile", filepath.Join(dirC, pidFile))
	fakeVM(t, d, "run-c", "vm-c", qc.Process.Pid)

	list, err := d.List(context.Background(), "")
	if err != nil || len(list) != 3 {
		t.Fatalf("List(all) = %v, %v; want 3 VMs", list, err)
	}
	removed, err := d.Sweep(context.Background(), "run-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != (deployers.Resource{Kind: resourceKind, ID: "vm-a", RunID: "run-a", Variant: deployers.VM}) {
		t.Fatalf("Sweep(run-a) removed %v", removed)
	}
	if !qa.exitsSoon() {
		t.Error("run-a's QEMU still runs")
	}
	if _, err := os.Stat(dirA); !os.IsNotExist(err) {
		t.Errorf("run-a's state dir remains: %v", err)
	}
	if !alive(qc.Process.Pid) {
		t.Error("Sweep(run-a) killed run-c's QEMU")
	}

	removed, err = d.Sweep(context.Background(), "")
	if err != nil || len(removed) != 2 {
		t.Fatalf("Sweep(all) = %v, %v; want run-b and run-c", removed, err)
	}
	if !alive(other.Process.Pid) {
		t.Error("Sweep killed an unrelated process that reused a recorded pid")
	}
	if !qc.exitsSoon() {
		t.Error("run-c's QEMU still runs after Sweep(all)")
	}
	if _, err := os.Stat(dirB); !os.IsNotExist(err) {
		t.Errorf("run-b's state dir remains: %v", err)
	}
	if list, err := d.List(context.Background(), ""); err != nil || len(list) != 0 {
		t.Errorf("List after Sweep = %v, %v", list, err)
	}
	if entries, _ := os.ReadDir(d.stateDir); len(entries) != 0 {
		t.Errorf("state dir not empty after Sweep: %v", entries)
	}
}

func TestIsOurQEMU(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run", "vm-1")
	q := startFake(t, "qemu-system-x86_64", "-initrd", filepath.Join(dir, initrdFile))
	tests := []struct {
		name string
		pid  int
		dir  string
		want bool
	}{
		{"ours", q.Process.Pid, dir, true},
		{"another VM's dir", q.Process.Pid, dir + "0", false},
		{"a parent dir matches on a path boundary", q.Process.Pid, filepath.Dir(dir), true}, // a prefix match on a path boundary
		{"the test itself", os.Getpid(), dir, false},
		{"no such pid", 1 << 30, dir, false},
		{"pid 0", 0, dir, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isOurQEMU(tt.pid, tt.dir); got != tt.want {
				t.Errorf("isOurQEMU(%d, %s) = %v, want %v", tt.pid, tt.dir, got, tt.want)
			}
		})
	}
}

func TestTeardownRefusesForeignDir(t *testing.T) {
	d := newTestDeployer(t)
	victim := t.TempDir()
	dep := &deployers.Deployment{Details: map[string]string{"state_dir": victim}}
	if err := d.Teardown(context.Background(), dep); err == nil {
		t.Fatal("Teardown accepted a directory outside the state dir")
	}
	if _, err := os.Stat(victim); err != nil {
		t.Fatalf("foreign dir touched: %v", err)
	}
	if err := d.Teardown(context.Background(), nil); err != nil {
		t.Errorf("Teardown(nil) = %v", err)
	}
	if err := d.Teardown(context.Background(), &deployers.Deployment{}); err != nil {
		t.Errorf("Teardown(empty) = %v", err)
	}
}

func TestNewOptions(t *testing.T) {
	t.Setenv("COMPUTELADDER_STATE_DIR", "/tmp/cl-state")
	d, err := New()
	if err != nil || d.stateDir != "/tmp/cl-state/qemu" || d.accel != AccelAuto || d.qemu != "" {
		t.Fatalf("New() = %+v, %v", d, err)
	}
	t.Setenv("COMPUTELADDER_STATE_DIR", "")
	t.Setenv("XDG_STATE_HOME", "/tmp/xdg")
	if dir, err := DefaultStateDir(); err != nil || dir != "/tmp/xdg/computeladder/qemu" {
		t.Errorf("DefaultStateDir = %q, %v", dir, err)
	}
	for name, opt := range map[string]Option{
		"bad accel": WithAccel("whpx"), "port 0": WithPort(0), "port 70000": WithPort(70000),
		"empty state dir": WithStateDir(""), "empty qemu": WithQEMU(""),
	} {
		if _, err := New(opt); err == nil {
			t.Errorf("New(%s) accepted", name)
		}
	}
	info := newTestDeployer(t).Info()
	if info.Name != "qemu" || info.Variant != deployers.VM || info.Target != "local" || info.Description != "local microVM (QEMU, TCG, 1 vCPU)" {
		t.Errorf("Info = %+v", info)
	}
}

func TestMetaKeysAreTheLabels(t *testing.T) {
	dir := t.TempDir()
	if err := writeMeta(dir, meta{RunID: "r1", Variant: deployers.VM, VMID: "vm-1", PID: 42}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"` + deployers.LabelRunID + `": "r1"`, `"` + deployers.LabelVariant + `": "vm"`, `"pid": ` + strconv.Itoa(42)} {
		if !strings.Contains(string(b), want) {
			t.Errorf("meta.json lacks %s:\n%s", want, b)
		}
	}
}
