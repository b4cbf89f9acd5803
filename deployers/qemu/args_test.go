package qemu

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestKernelCmdline(t *testing.T) {
	x86 := guests["amd64"]
	base := "console=ttyS0 panic=-1 quiet ip=10.0.2.15::10.0.2.2:255.255.255.0:vm:eth0:off initcall_blacklist=trace_eval_init reboot=t 8250.nr_uarts=1"
	arm := "console=ttyAMA0 panic=-1 quiet ip=10.0.2.15::10.0.2.2:255.255.255.0:vm:eth0:off initcall_blacklist=trace_eval_init"
	tests := []struct {
		name    string
		cfg     vmConfig
		want    string
		wantErr string
	}{
		{"tcg passes the TSC", vmConfig{guest: x86, accel: AccelTCG, tscKHz: 2299998}, base + " tsc_early_khz=2299998 PORT=8080", ""},
		{"tcg without a known TSC", vmConfig{guest: x86, accel: AccelTCG}, base + " PORT=8080", ""},
		{"kvm has its own clock", vmConfig{guest: x86, accel: AccelKVM, tscKHz: 2299998}, base + " PORT=8080", ""},
		{"hvf has its own clock", vmConfig{guest: x86, accel: AccelHVF, tscKHz: 2299998}, base + " PORT=8080", ""},
		// arm64 has no TSC and no 8250 UART, and reboot=t is x86's.
		{"arm64 under tcg", vmConfig{guest: guests["arm64"], accel: AccelTCG, tscKHz: 2299998}, arm + " PORT=8080", ""},
		{"env sorted after PORT", vmConfig{guest: x86, accel: AccelKVM, env: map[string]string{"Z_VAR": "1", "A": "x:y/z"}}, base + " A=x:y/z PORT=8080 Z_VAR=1", ""},
		{"env overrides PORT", vmConfig{guest: x86, accel: AccelKVM, env: map[string]string{"PORT": "9090"}}, base + " PORT=9090", ""},
		{"lower case key", vmConfig{env: map[string]string{"quiet": "1"}}, "", "upper case"},
		{"key with a dot", vmConfig{env: map[string]string{"A.B": "1"}}, "", "upper case"},
		{"space in value", vmConfig{env: map[string]string{"A": "a b"}}, "", "kernel command line"},
		{"quote in value", vmConfig{env: map[string]string{"A": `"x"`}}, "", "kernel command line"},
		{"too long", vmConfig{env: map[string]string{"A": strings.Repeat("x", 3000)}}, "", "exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := kernelCmdline(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("kernelCmdline = %q, %v\nwant %q", got, err, tt.want)
			}
		})
	}
}

// TestQEMUArgs checks the whole command line per guest and accelerator:
// the machine, CPU, console and network device each guest needs, and
// nothing of another guest's.
func TestQEMUArgs(t *testing.T) {
	common := "-name computeladder-vm-1 -M %s -accel %s -nodefaults -no-user-config -display none -serial stdio -no-reboot" +
		" -m 256 -smp 1 -kernel /k/vmlinuz -initrd /s/r/vm-1/initramfs.cpio -append %s" +
		" -netdev user,id=n0,hostfwd=tcp:127.0.0.1:40000-:8080 -device virtio-net-device,netdev=n0 -pidfile /s/r/vm-1/qemu.pid"
	tests := []struct {
		arch    string
		accel   Accel
		machine string
		console string
		cpu     string // "" : no -cpu
	}{
		{"amd64", AccelTCG, "microvm", "ttyS0", "qemu64,-svm,-vmx"},
		{"amd64", AccelKVM, "microvm", "ttyS0", ""},
		{"amd64", AccelHVF, "microvm", "ttyS0", "host"}, // an Intel Mac
		{"arm64", AccelTCG, "virt", "ttyAMA0", "max,pauth-impdef=on"},
		{"arm64", AccelKVM, "virt", "ttyAMA0", "host"},
		{"arm64", AccelHVF, "virt", "ttyAMA0", "host"}, // an Apple Silicon Mac
	}
	for _, tt := range tests {
		t.Run(tt.arch+"/"+string(tt.accel), func(t *testing.T) {
			cfg := vmConfig{name: "computeladder-vm-1", guest: guests[tt.arch], accel: tt.accel, kernel: "/k/vmlinuz",
				initrd: "/s/r/vm-1/initramfs.cpio", pidfile: "/s/r/vm-1/qemu.pid", memoryMB: 256, cpus: 1, hostPort: 40000}
			args, err := qemuArgs(cfg)
			if err != nil {
				t.Fatal(err)
			}
			cmdline, err := kernelCmdline(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(cmdline, "console="+tt.console+" ") {
				t.Errorf("kernel command line %q: want console %s", cmdline, tt.console)
			}
			want := strings.Fields(fmt.Sprintf(common, tt.machine, tt.accel, "CMDLINE"))
			if tt.cpu != "" {
				want = append(want, "-cpu", tt.cpu)
			}
			for i := range want {
				if want[i] == "CMDLINE" {
					want[i] = cmdline
				}
			}
			if !slices.Equal(args, want) {
				t.Errorf("args:\n got %q\nwant %q", args, want)
			}
		})
	}
	cfg := vmConfig{guest: guests["amd64"], accel: AccelTCG, env: map[string]string{"bad key": "1"}}
	if _, err := qemuArgs(cfg); err == nil {
		t.Error("bad env accepted")
	}
}

// TestProbeArgs: the accelerator probe boots the guest's own kernel on the
// guest's machine, with the CPU the accelerator needs.
func TestProbeArgs(t *testing.T) {
	tests := []struct {
		accel Accel
		arch  string
		want  string
	}{
		{AccelKVM, "amd64", "-M microvm -accel kvm -nodefaults -no-user-config -display none -serial stdio -no-reboot -m 128 -smp 1 -kernel /k -append console=ttyS0 panic=-1 quiet"},
		{AccelKVM, "arm64", "-M virt -accel kvm -nodefaults -no-user-config -display none -serial stdio -no-reboot -m 128 -smp 1 -kernel /k -append console=ttyAMA0 panic=-1 quiet -cpu host"},
		{AccelHVF, "arm64", "-M virt -accel hvf -nodefaults -no-user-config -display none -serial stdio -no-reboot -m 128 -smp 1 -kernel /k -append console=ttyAMA0 panic=-1 quiet -cpu host"},
		{AccelHVF, "amd64", "-M microvm -accel hvf -nodefaults -no-user-config -display none -serial stdio -no-reboot -m 128 -smp 1 -kernel /k -append console=ttyS0 panic=-1 quiet -cpu host"},
	}
	for _, tt := range tests {
		if got := strings.Join(probeArgs(tt.accel, guests[tt.arch], "/k"), " "); got != tt.want {
			t.Errorf("%s/%s:\n got %s\nwant %s", tt.arch, tt.accel, got, tt.want)
		}
	}
}

func TestVCPUs(t *testing.T) {
	tests := []struct {
		in      float64
		want    int
		wantErr bool
	}{{0, 1, false}, {0.5, 1, false}, {1, 1, false}, {1.2, 2, false}, {16, 16, false}, {17, 0, true}}
	for _, tt := range tests {
		got, err := vcpus(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("vcpus(%g) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseCPUInfoTSC(t *testing.T) {
	tests := []struct {
		name, cpuinfo string
		want          int
	}{
		{"constant tsc", "processor\t: 0\ncpu MHz\t\t: 2299.998\nflags\t\t: fpu tsc constant_tsc nonstop_tsc\n", 2299998},
		{"first cpu wins", "cpu MHz\t: 2000.000\nflags\t: constant_tsc\ncpu MHz\t: 3000.000\n", 2000000},
		{"no constant tsc", "cpu MHz\t: 2299.998\nflags\t: fpu tsc\n", 0},
		{"no MHz", "flags\t: constant_tsc\n", 0},
		{"nonsense MHz", "cpu MHz\t: 0.5\nflags\t: constant_tsc\n", 0},
		{"empty", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseCPUInfoTSC([]byte(tt.cpuinfo)); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestChooseAccel(t *testing.T) {
	noDev := errors.New("open /dev/kvm: no such file or directory")
	crashed := errors.New("KVM internal error")
	linux := accelFacts{native: AccelKVM}
	mac := accelFacts{native: AccelHVF}
	cross := accelFacts{nativeWhy: "an arm64 guest on an amd64 host: only TCG emulates another architecture"}
	with := func(f accelFacts, mod func(*accelFacts)) accelFacts { mod(&f); return f }
	tests := []struct {
		name       string
		requested  Accel
		facts      accelFacts
		want       Accel
		wantReason string
		wantErr    string
	}{
		{"tcg asked", AccelTCG, with(linux, func(f *accelFacts) { f.devErr = noDev }), AccelTCG, "requested", ""},
		{"kvm asked and present", AccelKVM, linux, AccelKVM, "requested", ""},
		{"kvm asked but absent", AccelKVM, with(linux, func(f *accelFacts) { f.devErr = noDev }), "", "", "use accel tcg"},
		{"kvm asked on a Mac", AccelKVM, mac, "", "", "this host offers HVF"},
		{"hvf asked on Linux", AccelHVF, linux, "", "", "this host offers KVM"},
		{"hvf asked on a Mac", AccelHVF, mac, AccelHVF, "requested", ""},
		{"hvf asked, unsupported", AccelHVF, with(mac, func(f *accelFacts) { f.devErr = errors.New("kern.hv_support is 0") }), "", "", "kern.hv_support"},
		{"kvm asked for another arch", AccelKVM, cross, "", "", "only TCG emulates another architecture"},
		{"auto without /dev/kvm", AccelAuto, with(linux, func(f *accelFacts) { f.devErr = noDev }), AccelTCG, "no usable /dev/kvm", ""},
		{"auto, probe crashed", AccelAuto, with(linux, func(f *accelFacts) { f.probed, f.probeErr = true, crashed }), AccelTCG, "KVM probe failed: KVM internal error", ""},
		{"auto, probe booted", AccelAuto, with(linux, func(f *accelFacts) { f.probed = true }), AccelKVM, "KVM probe booted", ""},
		{"auto, hvf probe booted", AccelAuto, with(mac, func(f *accelFacts) { f.probed = true }), AccelHVF, "HVF probe booted", ""},
		{"auto, hvf unsupported", AccelAuto, with(mac, func(f *accelFacts) { f.devErr = errors.New("x") }), AccelTCG, "Hypervisor.framework unavailable", ""},
		{"auto, another arch", AccelAuto, cross, AccelTCG, cross.nativeWhy, ""},
		{"auto, not probed", AccelAuto, linux, "", "", "not probed"},
		{"unknown", Accel("whpx"), linux, "", "", "use auto, kvm, hvf or tcg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := chooseAccel(tt.requested, tt.facts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || v.accel != tt.want || v.reason != tt.wantReason {
				t.Fatalf("got %+v, %v; want %s (%s)", v, err, tt.want, tt.wantReason)
			}
		})
	}
}

func TestNativeAccel(t *testing.T) {
	tests := []struct {
		goos, host, guest string
		want              Accel
		why               string
	}{
		{"linux", "amd64", "amd64", AccelKVM, ""},
		{"linux", "arm64", "arm64", AccelKVM, ""}, // arm64 Linux, and WSL2 on an arm64 PC
		{"darwin", "arm64", "arm64", AccelHVF, ""},
		{"darwin", "amd64", "amd64", AccelHVF, ""},
		{"linux", "amd64", "arm64", "", "only TCG"},
		{"darwin", "arm64", "amd64", "", "only TCG"},
		{"freebsd", "amd64", "amd64", "", "no hardware accelerator on freebsd"},
	}
	for _, tt := range tests {
		got, why := NativeAccel(tt.goos, tt.host, tt.guest)
		if got != tt.want || (tt.why == "") != (why == "") || !strings.Contains(why, tt.why) {
			t.Errorf("NativeAccel(%s, %s, %s) = %q, %q; want %q, %q", tt.goos, tt.host, tt.guest, got, why, tt.want, tt.why)
		}
	}
}

func TestParseAccel(t *testing.T) {
	for _, s := range []string{"auto", "kvm", "hvf", "tcg"} {
		if a, err := ParseAccel(s); err != nil || string(a) != s {
			t.Errorf("ParseAccel(%q) = %q, %v", s, a, err)
		}
	}
	for _, s := range []string{"", "KVM", "whpx"} {
		if _, err := ParseAccel(s); err == nil {
			t.Errorf("ParseAccel(%q) accepted", s)
		}
	}
}

func TestInstallHint(t *testing.T) {
	for _, tt := range []struct{ goos, arch, want string }{
		{"linux", "amd64", "sudo apt-get install -y --no-install-recommends qemu-system-x86"},
		{"linux", "arm64", "sudo apt-get install -y --no-install-recommends qemu-system-arm"},
		{"darwin", "arm64", "brew install qemu"},
		{"darwin", "amd64", "brew install qemu"},
	} {
		if got := installHint(tt.goos, tt.arch); got != tt.want {
			t.Errorf("installHint(%s, %s) = %q, want %q", tt.goos, tt.arch, got, tt.want)
		}
	}
}

func TestProbeCache(t *testing.T) {
	path := t.TempDir() + "/kvm-probe.json"
	if _, ok := readProbeCache(path, AccelKVM, "q", "k"); ok {
		t.Fatal("empty cache hit")
	}
	writeProbeCache(path, AccelKVM, "q", "k", errors.New("KVM internal error"))
	err, ok := readProbeCache(path, AccelKVM, "q", "k")
	if !ok || err == nil || !strings.Contains(err.Error(), "KVM internal error") {
		t.Fatalf("cached failure read back as %v, %v", err, ok)
	}
	if _, ok := readProbeCache(path, AccelKVM, "q", "other-kernel"); ok {
		t.Error("cache hit for another kernel")
	}
	if _, ok := readProbeCache(path, AccelHVF, "q", "k"); ok {
		t.Error("cache hit for another accelerator")
	}
	writeProbeCache(path, AccelKVM, "q", "k", nil)
	if err, ok := readProbeCache(path, AccelKVM, "q", "k"); !ok || err != nil {
		t.Errorf("cached success read back as %v, %v", err, ok)
	}
}
