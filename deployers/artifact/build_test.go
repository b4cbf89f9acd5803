package artifact_test

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers/artifact"
)

// outRoot holds every build of the test process; TestMain removes it.
var outRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "artifact-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	outRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// built holds one build per arch, shared by the tests that only read it:
// each build links three binaries, which takes seconds.
var built = map[string]*artifact.Set{}

func cached(t *testing.T, arch string) *artifact.Set {
	t.Helper()
	if built[arch] == nil {
		built[arch] = build(t, arch)
	}
	return built[arch]
}

func build(t *testing.T, arch string) *artifact.Set {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: builds the adapters (-short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	// Not t.TempDir: a cached build outlives the test that made it.
	dir, err := os.MkdirTemp(outRoot, arch+"-")
	if err != nil {
		t.Fatal(err)
	}
	set, err := artifact.Build(ctx, artifact.Options{Arch: arch, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestBuildIsReproducible(t *testing.T) {
	a, b := cached(t, "amd64"), build(t, "amd64")
	for i, pa := range a.Files() {
		pb := b.Files()[i]
		ba, errA := os.ReadFile(pa)
		bb, errB := os.ReadFile(pb)
		if err := errors.Join(errA, errB); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ba, bb) {
			t.Errorf("%s differs between two builds (%d vs %d bytes)", filepath.Base(pa), len(ba), len(bb))
		}
	}
}

func TestBuildArtifacts(t *testing.T) {
	for _, tc := range []struct {
		arch    string
		machine elf.Machine
	}{
		{"amd64", elf.EM_X86_64},
		{"arm64", elf.EM_AARCH64},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			set := cached(t, tc.arch)
			if set.Arch != tc.arch {
				t.Errorf("Arch = %q, want %q", set.Arch, tc.arch)
			}
			for _, bin := range []string{set.VMBinary, set.Bootstrap, set.ContainerBinary()} {
				checkStaticELF(t, bin, tc.machine)
			}
			checkZip(t, set)
			sizes, err := set.Sizes()
			if err != nil {
				t.Fatal(err)
			}
			if err := artifact.CheckBudgets(sizes); err != nil {
				t.Error(err)
			}
			dockerfile, err := os.ReadFile(filepath.Join(set.ContainerContext, "Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"FROM scratch\n", "COPY app /app\n", "USER 65532:65532\n", "EXPOSE 8080\n", `ENTRYPOINT ["/app"]`} {
				if !strings.Contains(string(dockerfile), want) {
					t.Errorf("Dockerfile lacks %q:\n%s", want, dockerfile)
				}
			}
			unit, err := os.ReadFile(set.VMUnit)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(unit), "DynamicUser=yes") {
				t.Errorf("%s is not the VM adapter's unit:\n%s", set.VMUnit, unit)
			}
			loaded, err := artifact.Load(filepath.Dir(filepath.Dir(set.ContainerContext)), tc.arch)
			if err != nil {
				t.Fatal(err)
			}
			if *loaded != *set {
				t.Errorf("Load = %+v, want %+v", loaded, set)
			}
		})
	}
}

// checkStaticELF checks that a binary runs on a bare kernel: the right
// machine, and no dynamic loader (an empty FROM scratch image or an
// initramfs has none).
func checkStaticELF(t *testing.T, path string, machine elf.Machine) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != machine {
		t.Errorf("%s: machine %v, want %v", filepath.Base(path), f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked: build with CGO_ENABLED=0", filepath.Base(path))
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("%s is not executable: %v", filepath.Base(path), fi.Mode())
	}
}

// checkZip checks what Lambda's provided.al2023 runtime needs: an
// executable bootstrap at the root of the zip, and nothing else.
func checkZip(t *testing.T, set *artifact.Set) {
	t.Helper()
	zr, err := zip.OpenReader(set.FunctionZip)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		t.Fatalf("function.zip holds %q, want only bootstrap", names)
	}
	f := zr.File[0]
	if f.Mode().Perm() != 0o755 {
		t.Errorf("bootstrap mode in zip = %v, want 0755", f.Mode().Perm())
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	zipped, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(set.Bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(zipped, onDisk) {
		t.Error("bootstrap in function.zip differs from bin/.../bootstrap")
	}
}

func TestBuildRejectsBadInput(t *testing.T) {
	out := t.TempDir()
	_, err := artifact.Build(context.Background(), artifact.Options{Arch: "386", OutDir: out})
	if err == nil || !strings.Contains(err.Error(), "use amd64 or arm64") {
		t.Errorf("Build(arch 386) error = %v, want one naming the valid arches", err)
	}
	_, err = artifact.Build(context.Background(), artifact.Options{ModuleRoot: out, OutDir: out})
	if err == nil || !strings.Contains(err.Error(), "go build") {
		t.Errorf("Build(module root without go.mod) error = %v, want a go build error", err)
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := artifact.Load(t.TempDir(), "amd64")
	if err == nil || !strings.Contains(err.Error(), "make build ARCH=amd64") {
		t.Errorf("Load(empty dir) error = %v, want one that says to run make build", err)
	}
}

func TestCheckBudgets(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []artifact.Size
		over  []string
	}{
		{"within", []artifact.Size{{Name: "function.zip", Bytes: 5 * artifact.MiB, Budget: artifact.FunctionZipBudget}}, nil},
		{"at the budget", []artifact.Size{{Name: "function.zip", Bytes: artifact.FunctionZipBudget, Budget: artifact.FunctionZipBudget}}, nil},
		{"no budget", []artifact.Size{{Name: "vm binary", Bytes: 1 << 40}}, nil},
		{"one over", []artifact.Size{
			{Name: "function.zip", Bytes: artifact.FunctionZipBudget + 1, Budget: artifact.FunctionZipBudget},
			{Name: "container image (binary)", Bytes: 1, Budget: artifact.ContainerImageBudget},
		}, []string{"function.zip"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := artifact.CheckBudgets(tc.sizes)
			if (err != nil) != (len(tc.over) > 0) {
				t.Fatalf("CheckBudgets = %v, want over budget: %q", err, tc.over)
			}
			for _, name := range tc.over {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
		})
	}
}

func ExampleWriteSizes() {
	_ = artifact.WriteSizes(os.Stdout, []artifact.Size{
		{Name: "vm binary", Bytes: 6 * artifact.MiB},
		{Name: "function.zip", Bytes: 3 * artifact.MiB, Budget: artifact.FunctionZipBudget},
		{Name: "container image (binary)", Bytes: 13 * artifact.MiB, Budget: artifact.ContainerImageBudget},
	})
	// Output:
	// ARTIFACT                  SIZE       BUDGET
	// vm binary                 6.00 MiB   -
	// function.zip              3.00 MiB   6.00 MiB   ok
	// container image (binary)  13.00 MiB  12.00 MiB  OVER BUDGET
}

// TestBuildDefaultsToThisMachine: without an arch, the artifacts are for
// the architecture this machine's QEMU runs natively.
func TestBuildDefaultsToThisMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds the adapters (-short)")
	}
	dir, err := os.MkdirTemp(outRoot, "default-")
	if err != nil {
		t.Fatal(err)
	}
	set, err := artifact.Build(context.Background(), artifact.Options{OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if set.Arch != runtime.GOARCH || filepath.Base(filepath.Dir(filepath.Dir(set.VMBinary))) != runtime.GOARCH {
		t.Errorf("default build = %s in %s, want this machine's %s", set.Arch, set.VMBinary, runtime.GOARCH)
	}
	checkStaticELF(t, set.VMBinary, map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH])
}
