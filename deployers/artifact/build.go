package artifact

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Artifact file names inside OutDir/<arch>/.
const (
	VMBinaryName  = "computeladder-vm"
	VMUnitName    = "computeladder.service"
	BootstrapName = "bootstrap"
	ZipName       = "function.zip"
	ContainerBin  = "app"
)

// zipTime is the modification time of every zip entry: a fixed one keeps
// function.zip byte-for-byte reproducible (and so its hash, which is what
// decides whether a Lambda update is a no-op).
var zipTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Options configure Build. Zero values take the defaults.
type Options struct {
	// Arch is the GOARCH: "amd64" or "arm64" (default: this machine's,
	// runtime.GOARCH — what its QEMU runs natively).
	Arch string
	// OutDir receives the artifacts, in OutDir/<arch>/ (default: bin/ under
	// the module root).
	OutDir string
	// ModuleRoot is the directory holding go.mod (default: found with
	// `go env GOMOD` from the working directory).
	ModuleRoot string
	// Go is the go command (default "go" on PATH).
	Go string
	// Stderr receives the go command's output (default: kept for the error).
	Stderr io.Writer
}

// Build compiles the three adapters for Linux and lays the artifacts out in
// OutDir/<arch>/: vm/, lambda/ and container/. Each file is written to a
// temporary name and renamed into place, so that concurrent builds (test
// processes sharing a cache) never see a half-written file.
func Build(ctx context.Context, opts Options) (*Set, error) {
	if opts.Arch == "" {
		opts.Arch = runtime.GOARCH
	}
	if opts.Arch != "amd64" && opts.Arch != "arm64" {
		return nil, fmt.Errorf("arch %q: use amd64 or arm64", opts.Arch)
	}
	if opts.Go == "" {
		opts.Go = "go"
	}
	if opts.ModuleRoot == "" {
		root, err := ModuleRoot(ctx, opts.Go)
		if err != nil {
			return nil, err
		}
		opts.ModuleRoot = root
	}
	if opts.OutDir == "" {
		opts.OutDir = filepath.Join(opts.ModuleRoot, "bin")
	}
	out, err := filepath.Abs(filepath.Join(opts.OutDir, opts.Arch))
	if err != nil {
		return nil, fmt.Errorf("output dir: %w", err)
	}
	set := layout(out, opts.Arch)
	for _, d := range []string{"vm", "lambda", "container"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return nil, fmt.Errorf("output dir: %w", err)
		}
	}
	tmp, err := os.MkdirTemp(out, ".build-")
	if err != nil {
		return nil, fmt.Errorf("output dir: %w", err)
	}
	defer os.RemoveAll(tmp)

	if err := goBuild(ctx, opts, tmp); err != nil {
		return nil, err
	}
	unit, err := os.ReadFile(filepath.Join(opts.ModuleRoot, "app", "adapters", "vm", VMUnitName))
	if err != nil {
		return nil, fmt.Errorf("read systemd unit: %w", err)
	}
	bootstrap, err := os.ReadFile(filepath.Join(tmp, "lambda"))
	if err != nil {
		return nil, fmt.Errorf("read bootstrap: %w", err)
	}
	zipped, err := zipBootstrap(bootstrap)
	if err != nil {
		return nil, err
	}
	steps := []struct {
		path string
		from string // a built file to move, or
		data []byte // content to write
		mode os.FileMode
	}{
		{path: set.VMBinary, from: filepath.Join(tmp, "vm"), mode: 0o755},
		{path: set.VMUnit, data: unit, mode: 0o644},
		{path: set.Bootstrap, from: filepath.Join(tmp, "lambda"), mode: 0o755},
		{path: set.FunctionZip, data: zipped, mode: 0o644},
		{path: filepath.Join(set.ContainerContext, ContainerBin), from: filepath.Join(tmp, "container"), mode: 0o755},
		{path: filepath.Join(set.ContainerContext, "Dockerfile"), data: []byte(Dockerfile), mode: 0o644},
	}
	for _, s := range steps {
		if err := place(tmp, s.path, s.from, s.data, s.mode); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// Dockerfile is the container image: the static binary is the whole image.
const Dockerfile = `# Built by computeladder: the static app binary is the whole image.
FROM scratch
COPY app /app
USER 65532:65532
ENV PORT=8080
EXPOSE 8080
ENTRYPOINT ["/app"]
`

// goBuild builds the three adapters in one go command (it parallelises
// them and shares the compile of the app) into tmp/vm, tmp/container and
// tmp/lambda. lambda.norpc drops the Go-1.x RPC runtime that
// provided.al2023 never uses; it affects only aws-lambda-go.
func goBuild(ctx context.Context, opts Options, tmp string) error {
	cmd := exec.CommandContext(ctx, opts.Go, "build",
		"-trimpath", "-buildvcs=false", "-tags", "lambda.norpc",
		"-ldflags", "-s -w -buildid=",
		"-o", tmp+string(filepath.Separator),
		"./app/adapters/vm", "./app/adapters/container", "./app/adapters/lambda")
	cmd.Dir = opts.ModuleRoot
	// GOAMD64=v1: the microVM runs under QEMU's default CPU model, which
	// lacks the instructions of higher levels.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+opts.Arch,
		"GOAMD64=v1", "GOARM64=v8.0")
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	if opts.Stderr != nil {
		cmd.Stderr = io.MultiWriter(&stderr, opts.Stderr)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build (GOARCH=%s): %w\n%s", opts.Arch, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// zipBootstrap returns function.zip: bootstrap at the root, executable,
// with a fixed timestamp.
func zipBootstrap(bootstrap []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	hdr := &zip.FileHeader{Name: BootstrapName, Method: zip.Deflate, Modified: zipTime}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return nil, fmt.Errorf("zip: %w", err)
	}
	if _, err := w.Write(bootstrap); err != nil {
		return nil, fmt.Errorf("zip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip: %w", err)
	}
	return buf.Bytes(), nil
}

// place moves from (or writes data) to path through a temporary file in tmp
// and an atomic rename.
func place(tmp, path, from string, data []byte, mode os.FileMode) error {
	if from == "" {
		f, err := os.CreateTemp(tmp, "file-")
		if err != nil {
			return fmt.Errorf("write %s: %w", filepath.Base(path), err)
		}
		from = f.Name()
		_, err = f.Write(data)
		if err = errors.Join(err, f.Close()); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Base(path), err)
		}
	}
	if err := os.Chmod(from, mode); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(from, path); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// ModuleRoot asks the go command (goCmd, "go" when empty) where the
// module's go.mod is, from the working directory, and returns its directory.
func ModuleRoot(ctx context.Context, goCmd string) (string, error) {
	if goCmd == "" {
		goCmd = "go"
	}
	out, err := exec.CommandContext(ctx, goCmd, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w (is Go installed and on PATH?)", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the computeladder module: run from the checkout, or set the module root")
	}
	return filepath.Dir(gomod), nil
}

// layout is where Build puts each artifact under out (OutDir/<arch>).
func layout(out, arch string) *Set {
	return &Set{
		Arch:             arch,
		VMBinary:         filepath.Join(out, "vm", VMBinaryName),
		VMUnit:           filepath.Join(out, "vm", VMUnitName),
		Bootstrap:        filepath.Join(out, "lambda", BootstrapName),
		FunctionZip:      filepath.Join(out, "lambda", ZipName),
		ContainerContext: filepath.Join(out, "container"),
	}
}

// Load returns the artifacts that Build left in dir/<arch>/ (dir as
// Options.OutDir), checking that every file is there.
func Load(dir, arch string) (*Set, error) {
	out, err := filepath.Abs(filepath.Join(dir, arch))
	if err != nil {
		return nil, fmt.Errorf("load artifacts: %w", err)
	}
	s := layout(out, arch)
	for _, p := range s.Files() {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("load artifacts: %w (build them first: make build ARCH=%s)", err, arch)
		}
	}
	return s, nil
}
