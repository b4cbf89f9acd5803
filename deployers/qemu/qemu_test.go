package qemu

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/computeladder/computeladder/app/apptest"
	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/deployers/deployertest"
)

// testInits caches the stand-in /init binaries by mode, built into
// testInitDir, which TestMain removes.
var (
	testInits   sync.Map
	testInitDir struct {
		once sync.Once
		path string
		err  error
	}
)

// testInit builds testdata/testinit with the given mode ("exit", "sleep",
// "serve") as a static binary and returns artifacts with it as VM binary.
func testInit(t *testing.T, mode string) *artifact.Set {
	t.Helper()
	if p, ok := testInits.Load(mode); ok {
		return &artifact.Set{Arch: "amd64", VMBinary: p.(string)}
	}
	testInitDir.once.Do(func() { testInitDir.path, testInitDir.err = os.MkdirTemp("", "computeladder-qemu-testinit-") })
	if testInitDir.err != nil {
		t.Fatal(testInitDir.err)
	}
	out := filepath.Join(testInitDir.path, mode)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.mode="+mode, "-o", out, "./testdata/testinit")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build testinit: %v: %s", err, b)
	}
	testInits.Store(mode, out)
	return &artifact.Set{Arch: "amd64", VMBinary: out}
}

// deploy deploys and registers the teardown before looking at the error.
func deploy(t *testing.T, d *Deployer, spec deployers.Spec) (*deployers.Deployment, error) {
	t.Helper()
	dep, err := d.Deploy(context.Background(), spec)
	t.Cleanup(func() {
		if err := d.Teardown(context.Background(), dep); err != nil {
			t.Errorf("teardown: %v", err)
		}
	})
	return dep, err
}

// requireNothingLeft checks that no QEMU runs for the VM directory and that
// no VM directory is left under the state dir.
func requireNothingLeft(t *testing.T, d *Deployer, dir string) {
	t.Helper()
	if dir != "" {
		if pids := qemuPIDs(dir); len(pids) > 0 {
			t.Errorf("QEMU still runs for %s: pids %v", dir, pids)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("state dir %s remains (%v)", dir, err)
		}
	}
	if dirs, err := d.vmDirs(""); err != nil || len(dirs) > 0 {
		t.Errorf("VM dirs left: %v, %v", dirs, err)
	}
}

// requireQEMUFor needs the QEMU binary that runs an arch guest.
func requireQEMUFor(t testing.TB, arch string) {
	t.Helper()
	bin, _, _ := QEMUBinary(arch)
	_, err := exec.LookPath(bin)
	deployertest.Require(t, "QEMU for "+arch+" guests ("+InstallHint(arch)+")", err)
}

// TestDeployServesApp boots the real VM adapter as each guest architecture
// under TCG (on this host the cross-architecture guest can only run so) and
// checks the behaviour table against it.
func TestDeployServesApp(t *testing.T) {
	for _, arch := range guestArches {
		t.Run(arch, func(t *testing.T) { testDeployServesApp(t, arch) })
	}
}

func testDeployServesApp(t *testing.T, arch string) {
	requireQEMUFor(t, arch)
	d := newTestDeployer(t)
	spec := deployers.Spec{RunID: deployertest.RunID(t, "qemu"), Artifacts: deployertest.ArtifactsFor(t, arch), ReadyTimeout: 90 * time.Second}
	dep, err := deploy(t, d, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("timeline: %s", dep.Phases)
	t.Logf("details: %v", dep.Details)
	if dep.Accel != "tcg" || dep.MemoryMB != DefaultMemoryMB || dep.Details["guest_arch"] != arch || dep.Variant != deployers.VM || dep.Backend != "qemu" || !strings.HasPrefix(dep.URL, "http://127.0.0.1:") {
		t.Errorf("deployment = %+v", dep)
	}
	if want := "local microVM (QEMU " + guests[arch].machine + ", " + arch + " guest, TCG, 1 vCPU)"; d.Info().Description != want {
		t.Errorf("Info().Description = %q, want %q", d.Info().Description, want)
	}
	var names []string
	for i, p := range dep.Phases {
		names = append(names, p.Name)
		if i > 0 && p.At.Before(dep.Phases[i-1].At) {
			t.Errorf("phase %s before %s", p.Name, dep.Phases[i-1].Name)
		}
	}
	if got := strings.Join(names, " "); got != "deploy qemu-started kernel init listening answered first-200" {
		t.Errorf("phases = %s", got)
	}
	dir := dep.Details["state_dir"]
	// Its own process group: a Ctrl-C for the harness must not reach QEMU
	// before the harness has torn it down.
	pid, _ := strconv.Atoi(dep.Details["pid"])
	if pgid, err := syscall.Getpgid(pid); err != nil || pgid != pid {
		t.Errorf("QEMU pid %d is in process group %d (%v), want its own", pid, pgid, err)
	}
	if bin, _, _ := QEMUBinary(arch); !isOurQEMU(pid, dir) || !strings.HasSuffix(dep.Details["qemu"], bin) {
		t.Errorf("QEMU %s (pid %d) is not the %s guest's %s", dep.Details["qemu"], pid, arch, bin)
	}
	m, err := readMeta(dir)
	if err != nil || m.RunID != spec.RunID || m.PID == 0 || m.Port == 0 || m.Accel != AccelTCG {
		t.Errorf("meta.json = %+v, %v", m, err)
	}
	if list, err := d.List(context.Background(), spec.RunID); err != nil || len(list) != 1 || list[0].ID != dep.ID {
		t.Errorf("List = %v, %v", list, err)
	}

	apptest.Run(t, "vm", apptest.URLDoer(dep.URL, nil))

	start := time.Now()
	if err := d.Teardown(context.Background(), dep); err != nil {
		t.Fatal(err)
	}
	t.Logf("teardown took %v", time.Since(start))
	requireNothingLeft(t, d, dir)
	if err := d.Teardown(context.Background(), dep); err != nil {
		t.Errorf("second teardown: %v", err)
	}
}

func TestSweepFindsForgottenVM(t *testing.T) {
	deployertest.RequireQEMU(t)
	d := newTestDeployer(t, WithAccel(AccelAuto)) // the harness's default
	runID := deployertest.RunID(t, "qemu-sweep")
	t.Cleanup(func() { _, _ = d.Sweep(context.Background(), runID) })
	dep, err := d.Deploy(context.Background(), deployers.Spec{RunID: runID, Artifacts: testInit(t, "serve"), ReadyTimeout: 90 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dir := dep.Details["state_dir"]
	if a := dep.Accel; (a != "kvm" && a != "hvf" && a != "tcg") || dep.Details["accel_reason"] == "" {
		t.Errorf("accel %q (%q)", a, dep.Details["accel_reason"])
	}
	if desc := d.Info().Description; !strings.Contains(desc, strings.ToUpper(dep.Accel)) {
		t.Errorf("Info().Description %q does not name the accelerator used", desc)
	}
	dep = nil // the harness was killed: only the disk and the process table know the VM

	// A new deployer, as a later harness run would make.
	later, err := New(WithStateDir(d.stateDir))
	if err != nil {
		t.Fatal(err)
	}
	if pids := qemuPIDs(dir); len(pids) != 1 {
		t.Fatalf("before the sweep, QEMU pids for %s: %v", dir, pids)
	}
	removed, err := later.Sweep(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0].RunID != runID || removed[0].ID != filepath.Base(dir) {
		t.Errorf("Sweep removed %v", removed)
	}
	requireNothingLeft(t, d, dir)
}

func TestDeployFailures(t *testing.T) {
	deployertest.RequireQEMU(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { taken.Close() })
	takenPort := taken.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name     string
		opts     []Option
		spec     deployers.Spec
		want     []string
		maxTaken time.Duration
	}{
		{
			name: "init binary missing",
			spec: deployers.Spec{Artifacts: &artifact.Set{VMBinary: "/nonexistent/vm"}},
			want: []string{"build initramfs", "no such file", "make build"},
		},
		{
			name: "port taken",
			opts: []Option{WithPort(takenPort)},
			spec: deployers.Spec{Artifacts: testInit(t, "serve")},
			want: []string{"qemu exited", "could not set up host forwarding rule"},
			// QEMU fails before the guest boots: fail fast, not at the deadline.
			maxTaken: 10 * time.Second,
		},
		{
			name:     "init exits at once",
			spec:     deployers.Spec{Artifacts: testInit(t, "exit")},
			want:     []string{"qemu exited", "Kernel panic", "Attempted to kill init", "testinit: exiting"},
			maxTaken: 40 * time.Second,
		},
		{
			name:     "never ready",
			spec:     deployers.Spec{Artifacts: testInit(t, "sleep"), ReadyTimeout: 3 * time.Second},
			want:     []string{"not ready", "deadline exceeded"},
			maxTaken: 10 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDeployer(t, tt.opts...)
			tt.spec.RunID = deployertest.RunID(t, "qemu-fail")
			if tt.spec.ReadyTimeout == 0 {
				tt.spec.ReadyTimeout = 60 * time.Second
			}
			start := time.Now()
			dep, err := deploy(t, d, tt.spec)
			took := time.Since(start)
			if err == nil {
				t.Fatalf("deploy succeeded: %+v", dep)
			}
			t.Logf("after %v: %v", took.Round(time.Millisecond), err)
			for _, w := range tt.want {
				if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(w)) {
					t.Errorf("error lacks %q", w)
				}
			}
			if tt.maxTaken > 0 && took > tt.maxTaken {
				t.Errorf("took %v, want at most %v", took, tt.maxTaken)
			}
			if dep == nil || dep.ID == "" {
				t.Fatalf("no partial deployment returned: %+v", dep)
			}
			requireNothingLeft(t, d, dep.Details["state_dir"])
		})
	}
}

// TestDeployRejectsBadInput: bad input fails with a hint and creates nothing;
// it needs no QEMU.
func TestDeployRejectsBadInput(t *testing.T) {
	good := &artifact.Set{Arch: "amd64", VMBinary: "/bin/true"}
	tests := []struct {
		name string
		opts []Option
		spec deployers.Spec
		want string
	}{
		{"bad run id", nil, deployers.Spec{RunID: "Bad_ID", Artifacts: good}, "run id"},
		{"no artifacts", nil, deployers.Spec{RunID: "r"}, "make build"},
		{"no VM binary", nil, deployers.Spec{RunID: "r", Artifacts: &artifact.Set{}}, "make build"},
		{"riscv64 binary", nil, deployers.Spec{RunID: "r", Artifacts: &artifact.Set{Arch: "riscv64", VMBinary: "/bin/true"}}, "--arch amd64 or arm64"},
		{"too little memory", nil, deployers.Spec{RunID: "r", Artifacts: good, MemoryMB: 16}, "64-16384 MB"},
		{"too many CPUs", nil, deployers.Spec{RunID: "r", Artifacts: good, CPUs: 64}, "1-16"},
		{"bad env", nil, deployers.Spec{RunID: "r", Artifacts: good, Env: map[string]string{"A": "has space"}}, "kernel command line"},
		{"no QEMU", []Option{WithQEMU("/nonexistent/qemu-system-x86_64")}, deployers.Spec{RunID: "r", Artifacts: good}, InstallHint("amd64")},
		{"no kernel", []Option{WithQEMU("true"), WithKernel("/nonexistent/vmlinuz")}, deployers.Spec{RunID: "r", Artifacts: good}, "kernel path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDeployer(t, tt.opts...)
			dep, err := d.Deploy(context.Background(), tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if dep != nil {
				t.Errorf("deployment returned for bad input: %+v", dep)
			}
			if entries, err := os.ReadDir(d.stateDir); err == nil && len(entries) > 0 {
				t.Errorf("state dir not empty: %v", entries)
			}
		})
	}
}

func TestFindKernel(t *testing.T) {
	for _, arch := range guestArches {
		g := guests[arch]
		path, err := findKernel(context.Background(), "", g.kernelModule)
		if err != nil {
			t.Fatal(err) // the modules are required by go.mod: go mod download fetches them
		}
		if filepath.Base(path) != "vmlinuz" || !strings.Contains(path, "gokrazy/kernel."+arch) {
			t.Errorf("%s kernel = %s", arch, path)
		}
	}
}

// TestAccelProbe runs the real probe of this host's hardware accelerator
// (KVM on Linux, HVF on macOS) once for this host's guest: it must come to
// a verdict within its bound, leave no QEMU behind, and be cached for the
// next deployer.
func TestAccelProbe(t *testing.T) {
	arch := runtime.GOARCH
	requireQEMUFor(t, arch)
	g := guests[arch]
	f := accelFactsFor(g)
	if f.native == "" || f.devErr != nil {
		t.Skipf("skipping: no hardware accelerator to probe: %s%v", f.nativeWhy, f.devErr)
	}
	kernel, err := findKernel(context.Background(), "", g.kernelModule)
	if err != nil {
		t.Fatal(err)
	}
	qemuBin, err := exec.LookPath(g.qemu)
	if err != nil {
		t.Fatal(err)
	}
	d := newTestDeployer(t, WithAccel(AccelAuto))
	start := time.Now()
	v, err := d.resolveAccel(context.Background(), g, qemuBin, kernel)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("verdict after %v: %s (%s)", took.Round(time.Millisecond), v.accel, v.reason)
	if took > probeTimeout+5*time.Second {
		t.Errorf("probe took %v, bound is %v", took, probeTimeout)
	}
	if v.accel != f.native && !strings.HasPrefix(v.reason, f.native.Label()+" probe failed") {
		t.Errorf("verdict %+v", v)
	}
	if want := "local microVM (QEMU " + g.machine + ", " + arch + " guest, " + v.accel.Label() + ", 1 vCPU)"; d.Info().Description != want {
		t.Errorf("Info().Description = %q, want %q", d.Info().Description, want)
	}
	if kids := childQEMUs(t); len(kids) > 0 {
		t.Errorf("probe QEMU left running: pids %v", kids)
	}
	again := newTestDeployer(t, WithAccel(AccelAuto), WithStateDir(d.stateDir))
	start = time.Now()
	v2, err := again.resolveAccel(context.Background(), g, qemuBin, kernel)
	if err != nil || v2.accel != v.accel || time.Since(start) > time.Second {
		t.Errorf("cached verdict %+v, %v after %v; want %s at once", v2, err, time.Since(start), v.accel)
	}
}

// TestAutoAccelCrossArch: a guest of another architecture than the host's
// gets TCG from auto, without a probe, and an explicit KVM or HVF is
// refused before anything is created.
func TestAutoAccelCrossArch(t *testing.T) {
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	g := guests[other]
	d := newTestDeployer(t, WithAccel(AccelAuto))
	v, err := d.resolveAccel(context.Background(), g, "/nonexistent/qemu", "/nonexistent/kernel")
	if err != nil || v.accel != AccelTCG || !strings.Contains(v.reason, "only TCG emulates another architecture") {
		t.Fatalf("auto for an %s guest = %+v, %v", other, v, err)
	}
	native, _ := NativeAccel(runtime.GOOS, runtime.GOARCH, runtime.GOARCH)
	if native == "" {
		return
	}
	hw := newTestDeployer(t, WithAccel(native))
	if _, err := hw.resolveAccel(context.Background(), g, "/nonexistent/qemu", "/nonexistent/kernel"); err == nil || !strings.Contains(err.Error(), "use accel tcg or auto") {
		t.Errorf("accel %s for an %s guest: err = %v", native, other, err)
	}
}

// childQEMUs lists this test process's QEMU children, zombies included.
func childQEMUs(t *testing.T) []int {
	t.Helper()
	procs, err := process.Processes()
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, p := range procs {
		ppid, err := p.Ppid()
		if err != nil || int(ppid) != os.Getpid() {
			continue
		}
		if name, err := p.Name(); err == nil && strings.HasPrefix(name, "qemu-system") {
			pids = append(pids, int(p.Pid))
		}
	}
	return pids
}
