package qemu

import (
	"errors"
	"strings"
	"testing"
)

func TestKernelCmdline(t *testing.T) {
	base := "console=ttyS0 panic=-1 reboot=t quiet ip=10.0.2.15::10.0.2.2:255.255.255.0:vm:eth0:off initcall_blacklist=trace_eval_init 8250.nr_uarts=1"
	tests := []struct {
		name    string
		cfg     vmConfig
		want    string
		wantErr string
	}{
		{"tcg passes the TSC", vmConfig{accel: AccelTCG, tscKHz: 2299998}, base + " tsc_early_khz=2299998 PORT=8080", ""},
		{"tcg without a known TSC", vmConfig{accel: AccelTCG}, base + " PORT=8080", ""},
		{"kvm has its own clock", vmConfig{accel: AccelKVM, tscKHz: 2299998}, base + " PORT=8080", ""},
		{"env sorted after PORT", vmConfig{accel: AccelKVM, env: map[string]string{"Z_VAR": "1", "A": "x:y/z"}}, base + " A=x:y/z PORT=8080 Z_VAR=1", ""},
		{"env overrides PORT", vmConfig{accel: AccelKVM, env: map[string]string{"PORT": "9090"}}, base + " PORT=9090", ""},
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

func TestQEMUArgs(t *testing.T) {
	cfg := vmConfig{name: "computeladder-vm-1", accel: AccelTCG, kernel: "/k/vmlinuz", initrd: "/s/r/vm-1/initramfs.cpio",
		pidfile: "/s/r/vm-1/qemu.pid", memoryMB: 256, cpus: 1, hostPort: 40000}
	args, err := qemuArgs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(args, " ")
	for _, want := range []string{
		"-M microvm", "-accel tcg", "-nodefaults", "-no-user-config", "-display none", "-serial stdio", "-no-reboot",
		"-m 256", "-smp 1", "-kernel /k/vmlinuz", "-initrd /s/r/vm-1/initramfs.cpio", "-pidfile /s/r/vm-1/qemu.pid",
		"-netdev user,id=n0,hostfwd=tcp:127.0.0.1:40000-:8080", "-device virtio-net-device,netdev=n0",
		"-cpu qemu64,-svm,-vmx",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("args lack %q: %s", want, joined)
		}
	}
	cfg.accel = AccelKVM
	if kvm, _ := qemuArgs(cfg); strings.Contains(strings.Join(kvm, " "), "-cpu") {
		t.Errorf("KVM gets a TCG CPU model: %v", kvm)
	}
	cfg.env = map[string]string{"bad key": "1"}
	if _, err := qemuArgs(cfg); err == nil {
		t.Error("bad env accepted")
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
	tests := []struct {
		name       string
		requested  Accel
		facts      kvmFacts
		want       Accel
		wantReason string
		wantErr    string
	}{
		{"tcg asked", AccelTCG, kvmFacts{devErr: noDev}, AccelTCG, "requested", ""},
		{"kvm asked and present", AccelKVM, kvmFacts{}, AccelKVM, "requested", ""},
		{"kvm asked but absent", AccelKVM, kvmFacts{devErr: noDev}, "", "", "use accel tcg"},
		{"auto without /dev/kvm", AccelAuto, kvmFacts{devErr: noDev}, AccelTCG, "no usable /dev/kvm", ""},
		{"auto, probe crashed", AccelAuto, kvmFacts{probed: true, probeErr: crashed}, AccelTCG, "KVM probe failed: KVM internal error", ""},
		{"auto, probe booted", AccelAuto, kvmFacts{probed: true}, AccelKVM, "KVM probe booted", ""},
		{"auto, not probed", AccelAuto, kvmFacts{}, "", "", "not probed"},
		{"unknown", Accel("hvf"), kvmFacts{}, "", "", "use auto, kvm or tcg"},
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

func TestParseAccel(t *testing.T) {
	for _, s := range []string{"auto", "kvm", "tcg"} {
		if a, err := ParseAccel(s); err != nil || string(a) != s {
			t.Errorf("ParseAccel(%q) = %q, %v", s, a, err)
		}
	}
	for _, s := range []string{"", "KVM", "hvf"} {
		if _, err := ParseAccel(s); err == nil {
			t.Errorf("ParseAccel(%q) accepted", s)
		}
	}
}

func TestProbeCache(t *testing.T) {
	path := t.TempDir() + "/kvm-probe.json"
	if _, ok := readProbeCache(path, "q", "k"); ok {
		t.Fatal("empty cache hit")
	}
	writeProbeCache(path, "q", "k", errors.New("KVM internal error"))
	err, ok := readProbeCache(path, "q", "k")
	if !ok || err == nil || !strings.Contains(err.Error(), "KVM internal error") {
		t.Fatalf("cached failure read back as %v, %v", err, ok)
	}
	if _, ok := readProbeCache(path, "q", "other-kernel"); ok {
		t.Error("cache hit for another kernel")
	}
	writeProbeCache(path, "q", "k", nil)
	if err, ok := readProbeCache(path, "q", "k"); !ok || err != nil {
		t.Errorf("cached success read back as %v, %v", err, ok)
	}
}
