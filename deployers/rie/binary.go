package rie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// rieModule and rieCmd name the emulator, pinned in go.mod with a tool line.
const (
	rieModule = "github.com/aws/aws-lambda-runtime-interface-emulator"
	rieCmd    = rieModule + "/cmd/aws-lambda-rie"
)

// rieBinary returns the path of a static emulator for GOARCH arch and its
// version, building it once per module version into the cache. The build
// goes to a temporary name and is renamed into place, so concurrent test
// processes never run a half-written file.
func (dp *Deployer) rieBinary(ctx context.Context, arch string) (path, version string, err error) {
	if dp.opts.rieBinary != "" {
		if err := checkExecutable(dp.opts.rieBinary); err != nil {
			return "", "", fmt.Errorf("emulator binary: %w", err)
		}
		return dp.opts.rieBinary, "prebuilt", nil
	}
	root := dp.opts.moduleRoot
	if root == "" {
		if root, err = moduleRoot(ctx); err != nil {
			return "", "", err
		}
	}
	version, err = goCmd(ctx, root, nil, "list", "-m", "-f", "{{.Version}}", rieModule)
	if err != nil {
		return "", "", fmt.Errorf("emulator version: %w (is %s pinned in go.mod?)", err, rieModule)
	}
	cache := dp.opts.cacheDir
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", "", fmt.Errorf("cache dir: %w (set HOME or XDG_CACHE_HOME)", err)
		}
		cache = filepath.Join(base, "computeladder", "rie")
	}
	path = filepath.Join(cache, version, "linux-"+arch, "aws-lambda-rie")
	if checkExecutable(path) == nil {
		return path, version, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", "", fmt.Errorf("emulator cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".build-*")
	if err != nil {
		return "", "", fmt.Errorf("emulator cache: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	env := []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + arch}
	if _, err := goCmd(ctx, root, env, "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -buildid=", "-o", tmp.Name(), rieCmd); err != nil {
		return "", "", fmt.Errorf("build emulator: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", "", fmt.Errorf("emulator cache: %w", err)
	}
	dp.opts.log.Info("built the emulator", "version", version, "path", path)
	return path, version, nil
}

// moduleRoot asks the go command where go.mod is.
func moduleRoot(ctx context.Context) (string, error) {
	gomod, err := goCmd(ctx, "", nil, "env", "GOMOD")
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w (is Go installed and on PATH?)", err)
	}
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("building the emulator needs the computeladder checkout: run from it, or use WithModuleRoot or WithRIEBinary")
	}
	return filepath.Dir(gomod), nil
}

// goCmd runs the go command in dir and returns its trimmed stdout.
func goCmd(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// checkExecutable accepts a regular file with an execute bit.
func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s: not executable", path)
	}
	return nil
}
