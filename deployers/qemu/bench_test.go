package qemu

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/load"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/deployers/qemu/initramfs"
)

// BenchmarkStartToFirst200 measures a TCG microVM from start to the first
// HTTP 200 of /healthz, for each guest architecture (the x86-64 guest and
// the arm64 one, both under TCG on any host here): through this deployer,
// and beside it, in the same run, a hand-written QEMU command line with the
// same kernel and the same initramfs (exec QEMU with the plain microVM
// line a student would write by hand, baselineArgs). Both are
// detected by the same probe, deployers.WaitReady with its default poll
// interval, so the difference is the deployer's own. Run it with:
// go test -run '^$' -bench StartToFirst200 -benchtime 1x -count 5 ./deployers/qemu
func BenchmarkStartToFirst200(b *testing.B) {
	b.Logf("load average: %s", loadAvg())
	for _, arch := range guestArches {
		b.Run(arch, func(b *testing.B) {
			requireQEMUFor(b, arch)
			set := deployertest.ArtifactsFor(b, arch)
			b.Run("deployer", func(b *testing.B) { benchDeployer(b, set) })
			b.Run("baseline", func(b *testing.B) { benchBaseline(b, arch, set.VMBinary) })
		})
	}
	b.Logf("load average: %s", loadAvg())
}

// benchDeployer deploys and tears down b.N VMs: deploy → first 200 (the
// initramfs write included), QEMU started → first 200, deploy → init, and
// the independent account of readiness: listening → the app's own
// "answered" line (its first request served: the guest's first-request
// time), answered → the probe's first 200, and listening → first 200.
func benchDeployer(b *testing.B, set *artifact.Set) {
	d, err := New(WithStateDir(b.TempDir()), WithAccel(AccelTCG))
	if err != nil {
		b.Fatal(err)
	}
	var total, qemuTo200, kernelAt, listenToAnswer, answerTo200, listenTo200 time.Duration
	for i := 0; i < b.N; i++ {
		dep, err := d.Deploy(context.Background(), deployers.Spec{RunID: deployertest.RunID(b, "qemu-bench"), Artifacts: set})
		if terr := d.Teardown(context.Background(), dep); terr != nil {
			b.Error(terr)
		}
		if err != nil {
			b.Fatal(err)
		}
		t200, _ := dep.Phases.Since("first-200")
		started, _ := dep.Phases.Since("qemu-started")
		init, _ := dep.Phases.Since("init")
		listening, okL := dep.Phases.Since(PhaseListening)
		answered, okA := dep.Phases.Since(PhaseAnswered)
		if !okL || !okA {
			b.Fatalf("no listening or answered phase: %s", dep.Phases)
		}
		listenToAnswer += answered - listening
		listenTo200 += t200 - listening
		answerTo200 += t200 - answered
		total += t200
		qemuTo200 += t200 - started
		kernelAt += init
	}
	b.ReportMetric(ms(total, b.N), "ms-deploy-to-200")
	b.ReportMetric(ms(qemuTo200, b.N), "ms-qemu-to-200")
	b.ReportMetric(ms(kernelAt, b.N), "ms-deploy-to-init")
	b.ReportMetric(ms(listenToAnswer, b.N), "ms-listening-to-answered")
	b.ReportMetric(ms(answerTo200, b.N), "ms-answered-to-200")
	b.ReportMetric(ms(listenTo200, b.N), "ms-listening-to-200")
}

// benchBaseline boots the hand-written command line b.N times.
func benchBaseline(b *testing.B, arch, vmBinary string) {
	g := guests[arch]
	kernel, err := findKernel(context.Background(), "", g.kernelModule)
	if err != nil {
		b.Fatal(err)
	}
	initrd := filepath.Join(b.TempDir(), "initramfs.cpio")
	if err := buildInitramfs(initrd, vmBinary); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	hangs := 0
	for i := 0; i < b.N; i++ {
		took, err := baselineBoot(arch, kernel, initrd, 30*time.Second)
		if err != nil {
			// Without tsc_early_khz an x86 guest kernel calibrates its TSC
			// against the emulated PIT, which fails now and then on a busy
			// host and hangs the boot: count it, don't average it.
			b.Logf("baseline boot %d: %v", i, err)
			hangs++
			continue
		}
		total += took
	}
	if hangs < b.N {
		b.ReportMetric(ms(total, b.N-hangs), "ms-qemu-to-200")
	}
	b.ReportMetric(float64(hangs)/float64(b.N), "hangs/op")
}

// baselineArgs is the hand-written QEMU command line of a guest: for x86-64
// the plain microvm machine with a virtio-net device and user networking,
// for arm64 the virt machine with the same, as known to boot under TCG.
func baselineArgs(arch, kernel, initrd string, port int) []string {
	fwd := fmt.Sprintf("user,id=n0,hostfwd=tcp:127.0.0.1:%d-:8080", port)
	ip := "ip=10.0.2.15::10.0.2.2:255.255.255.0:vm:eth0:off"
	if arch == "arm64" {
		return []string{"-machine", "virt", "-cpu", "max", "-m", "256", "-smp", "1", "-nographic", "-nodefaults",
			"-serial", "stdio", "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyAMA0 panic=-1 " + ip + " PORT=8080",
			"-netdev", fwd, "-device", "virtio-net-device,netdev=n0", "-no-reboot"}
	}
	return []string{"-M", "microvm", "-nodefaults", "-no-user-config", "-serial", "stdio",
		"-no-reboot", "-display", "none", "-m", "256", "-smp", "1", "-kernel", kernel, "-initrd", initrd,
		"-append", "console=ttyS0 panic=-1 quiet " + ip,
		"-netdev", fwd, "-device", "virtio-net-device,netdev=n0"}
}

// baselineBoot runs the hand-written command line and waits for the first
// 200 with the deployer's own probe.
func baselineBoot(arch, kernel, initrd string, timeout time.Duration) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(guests[arch].qemu, baselineArgs(arch, kernel, initrd, port)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ready, err := deployers.WaitReady(ctx, "http://127.0.0.1:"+strconv.Itoa(port)+"/healthz", 0, nil)
	if err != nil {
		return 0, fmt.Errorf("no HTTP 200 within %s: %w", timeout, err)
	}
	return ready.Sub(start), nil
}

// BenchmarkInitramfs measures building the initramfs of the VM binary.
func BenchmarkInitramfs(b *testing.B) {
	set := deployertest.Artifacts(b)
	dir := b.TempDir()
	for i := 0; i < b.N; i++ {
		f, err := os.Create(filepath.Join(dir, "initramfs.cpio"))
		if err != nil {
			b.Fatal(err)
		}
		if err := initramfs.WriteInit(f, set.VMBinary); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

func ms(d time.Duration, n int) float64 { return d.Seconds() * 1000 / float64(n) }

func loadAvg() string {
	a, err := load.Avg()
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.2f %.2f %.2f", a.Load1, a.Load5, a.Load15)
}
