package targets

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/deployers/docker"
)

func TestOpenRejectsUnknownTargets(t *testing.T) {
	for _, tc := range []struct{ target, want string }{
		{"gcp", `unknown target "gcp"`},
		{"", `unknown target ""`},
	} {
		_, err := Open(context.Background(), tc.target, deployers.Variants, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%s) error = %v, want %q", tc.target, err, tc.want)
		}
	}
}

func TestMissingQEMUIsAPrereqError(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := CheckLocal(context.Background(), []deployers.Variant{deployers.VM})
	var pe *PrereqError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "apt-get install -y --no-install-recommends qemu-system-x86") {
		t.Fatalf("error = %v, want a PrereqError naming the install command", err)
	}
}

func TestMissingDockerIsAPrereqError(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	err := CheckLocal(context.Background(), []deployers.Variant{deployers.Container})
	var pe *PrereqError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "Docker is not reachable") {
		t.Fatalf("error = %v, want a PrereqError about Docker", err)
	}
}

// Sweep must work with whatever is reachable: building the deployers
// needs neither Docker nor QEMU.
func TestOpenForSweepNeedsNothingRunning(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	t.Setenv("COMPUTELADDER_STATE_DIR", t.TempDir())
	set, err := OpenForSweep(context.Background(), "local", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	if len(set.Deployers) != len(deployers.Variants) {
		t.Fatalf("deployers = %d, want one per variant", len(set.Deployers))
	}
	// The microVM backend lists from its state dir: empty, not an error.
	rs, err := set.Deployers[deployers.VM].List(context.Background(), "")
	if err != nil || len(rs) != 0 {
		t.Fatalf("List = %v, %v; want nothing and no error", rs, err)
	}
}

// On LocalStack the container variant runs on the local engine, and its
// description says so.
func TestLocalStackContainerIsLocalAndSaysSo(t *testing.T) {
	deployertest.RequireDocker(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	set, err := Open(context.Background(), "localstack", []deployers.Variant{deployers.Container}, Options{Endpoint: "http://127.0.0.1:4566"})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	info := set.Deployers[deployers.Container].Info()
	if info.Name != "docker" || !strings.Contains(info.Description, "run locally: LocalStack's free edition has no ECS") {
		t.Fatalf("container on localstack: %+v", info)
	}
}

func TestIsWSL(t *testing.T) {
	for _, tc := range []struct {
		release, distro string
		want            bool
	}{
		{"5.15.167.4-microsoft-standard-WSL2", "", true},
		{"6.6.36.3-microsoft-standard-WSL2+", "", true},
		{"6.1.0-28-amd64", "Ubuntu", true}, // a custom WSL kernel still gets WSL_DISTRO_NAME
		{"6.1.0-28-amd64", "", false},
		{"", "", false},
	} {
		if got := isWSL(tc.release, tc.distro); got != tc.want {
			t.Errorf("isWSL(%q, %q) = %v, want %v", tc.release, tc.distro, got, tc.want)
		}
	}
}

func TestPlatformAdvice(t *testing.T) {
	mac := Platform{OS: "darwin", Arch: "arm64"}
	deb := Platform{OS: "linux", Arch: "arm64", Apt: true}
	wsl := Platform{OS: "linux", Arch: "amd64", Apt: true, WSL: true}
	other := Platform{OS: "linux", Arch: "amd64"}
	for _, tc := range []struct {
		p        Platform
		wantCmd  string
		runnable bool
	}{
		{mac, "brew install qemu", false},
		{deb, "sudo apt-get install -y --no-install-recommends qemu-system-arm", true},
		{wsl, "sudo apt-get install -y --no-install-recommends qemu-system-arm", true},
		{other, "your distribution's QEMU package (Debian and Ubuntu call it qemu-system-arm)", false},
	} {
		if cmd, ok := tc.p.QEMUInstall("qemu-system-arm"); cmd != tc.wantCmd || ok != tc.runnable {
			t.Errorf("%s: QEMUInstall = %q, %v; want %q, %v", tc.p, cmd, ok, tc.wantCmd, tc.runnable)
		}
	}
	if s := mac.String(); s != "macOS on Apple Silicon (arm64)" {
		t.Errorf("mac = %q", s)
	}
	if s := wsl.String(); s != "Linux in WSL2 (amd64)" {
		t.Errorf("wsl = %q", s)
	}
	for p, want := range map[Platform][]string{
		mac: {"kern.hv_support"},
		wsl: {"/dev/kvm exists and opens", "nestedVirtualization=true", ".wslconfig"},
	} {
		for _, w := range want {
			if !strings.Contains(p.AccelAdvice(), w) {
				t.Errorf("%s: AccelAdvice lacks %q: %s", p, w, p.AccelAdvice())
			}
		}
	}
	if !strings.Contains(mac.DockerInstall(), "Colima") || !strings.Contains(wsl.DockerInstall(), "WSL integration") {
		t.Errorf("DockerInstall: mac %q, wsl %q", mac.DockerInstall(), wsl.DockerInstall())
	}
}

// TestSetupSaysWhatItFound runs setup on this machine: it names the
// platform, the QEMU and the accelerator its guest gets, and the Docker
// engine with how it was found.
func TestSetupSaysWhatItFound(t *testing.T) {
	deployertest.RequireQEMU(t)
	deployertest.RequireDocker(t)
	var out strings.Builder
	if err := Setup(context.Background(), deployers.Variants, nil, &out); err != nil {
		t.Fatal(err)
	}
	t.Logf("setup:\n%s", out.String())
	for _, want := range []string{"platform: ", "qemu: ", "accelerator: ", "docker: ", "(from ", "prerequisites: ok"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("setup output lacks %q", want)
		}
	}
}

func TestDockerEnvHostIsNamed(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	var out strings.Builder
	err := Setup(context.Background(), []deployers.Variant{deployers.Container}, nil, &out)
	var pe *PrereqError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "unix:///nonexistent/docker.sock (from DOCKER_HOST)") {
		t.Fatalf("error = %v, want a PrereqError naming the engine and DOCKER_HOST", err)
	}
}

func TestArches(t *testing.T) {
	all := deployers.Variants
	got, err := Arches(context.Background(), "aws", all, "aarch64")
	if err != nil || got[deployers.VM] != "arm64" || got[deployers.Container] != "arm64" || got[deployers.Lambda] != "arm64" {
		t.Errorf("explicit aarch64 = %v, %v", got, err)
	}
	if _, err := Arches(context.Background(), "local", all, "riscv64"); err == nil || !strings.Contains(err.Error(), "use amd64 or arm64") {
		t.Errorf("riscv64 accepted: %v", err)
	}
	got, err = Arches(context.Background(), "local", []deployers.Variant{deployers.VM}, "")
	if err != nil || got[deployers.VM] != runtime.GOARCH {
		t.Errorf("local VM = %v, %v; want this machine's %s", got, err, runtime.GOARCH)
	}
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	if _, err := Arches(context.Background(), "local", []deployers.Variant{deployers.Container}, ""); err == nil || !strings.Contains(err.Error(), "pass --arch") {
		t.Errorf("local container without an engine: %v", err)
	}
	got, err = Arches(context.Background(), "aws", all, "")
	if err != nil || got[deployers.Lambda] != runtime.GOARCH {
		t.Errorf("aws without an engine = %v, %v; want this machine's %s", got, err, runtime.GOARCH)
	}
}

// TestArchesAsksTheEngine: the container and the function are built for
// the engine's architecture, which may differ from this machine's.
func TestArchesAsksTheEngine(t *testing.T) {
	deployertest.RequireDocker(t)
	got, err := Arches(context.Background(), "local", deployers.Variants, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := docker.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.ServerVersion(context.Background(), client.ServerVersionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got[deployers.Container] != docker.GOARCH(v.Arch) || got[deployers.Lambda] != docker.GOARCH(v.Arch) || got[deployers.VM] != runtime.GOARCH {
		t.Errorf("Arches = %v; engine says %s, this machine %s", got, v.Arch, runtime.GOARCH)
	}
}

func TestOneArch(t *testing.T) {
	if a, err := OneArch(map[deployers.Variant]string{deployers.VM: "arm64", deployers.Lambda: "arm64"}); err != nil || a != "arm64" {
		t.Errorf("OneArch(same) = %q, %v", a, err)
	}
	if _, err := OneArch(map[deployers.Variant]string{deployers.VM: "arm64", deployers.Container: "amd64"}); err == nil || !strings.Contains(err.Error(), "pass --arch") {
		t.Errorf("OneArch(mixed) = %v", err)
	}
}

// A lab gets its deployer with its own options, and as the type it needs;
// a backend that is not that type is an error, not a panic later.
func TestLocalAs(t *testing.T) {
	deployertest.RequireDocker(t)
	type coldStarter interface {
		deployers.Deployer
		deployers.ColdStarter
	}
	fn, err := LocalAs[coldStarter](context.Background(), deployers.Lambda, Options{MaxConcurrency: 3})
	if err != nil {
		t.Fatalf("the local function as a cold starter: %v", err)
	}
	if err := Close(fn, nil); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := LocalAs[coldStarter](context.Background(), deployers.Container, Options{}); err == nil || !strings.Contains(err.Error(), "is not a") {
		t.Errorf("the container as a cold starter: err %v, want one that says it is not", err)
	}
	if _, err := Local(context.Background(), "mainframe", Options{}); err == nil {
		t.Error("an unknown variant opened")
	}
}
