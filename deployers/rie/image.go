package rie

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/internal/engine"
)

// The image is laid out like a Lambda custom runtime: the emulator as
// entrypoint finds the bootstrap at /var/task/bootstrap on its own. It is
// imported from a root file system rather than built from a Dockerfile:
// one layer and no builder containers, where the classic builder commits
// one container per instruction (~1 s each on a fuse-overlayfs engine).
const (
	riePath       = "/usr/local/bin/aws-lambda-rie"
	bootstrapPath = "/var/task/bootstrap"
	taskDir       = "/var/task"
)

// imageChanges are the image's settings (Dockerfile instructions the
// engine applies on import), without the labels.
var imageChanges = []string{
	"USER " + User,
	"WORKDIR " + taskDir,
	`ENTRYPOINT ["` + riePath + `"]`,
}

// labels are the labels of every resource of one deployment.
func labels(runID, deployment string) map[string]string {
	l := engine.Labels(runID, deployers.Lambda)
	l[LabelBackend] = BackendName
	l[LabelDeployment] = deployment
	return l
}

// labelFilters selects this backend's resources of runID (every run's when
// runID is empty).
func labelFilters(runID string) client.Filters {
	return engine.LabelFilters(runID, deployers.Lambda).Add("label", LabelBackend+"="+BackendName)
}

// importImage imports the function image from its root file system as
// ref, labelled, and returns its id.
func (dp *Deployer) importImage(ctx context.Context, rootfs []byte, ref string, labels map[string]string) (string, error) {
	return engine.ImportImage(ctx, dp.api, rootfs, ref, imageChanges, labels)
}

// rootFS is the image's root file system as a tar: the emulator and the
// bootstrap at the paths a Lambda custom runtime uses.
func rootFS(rieBin, bootstrap string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	// A fixed time keeps the archive, and so its digest, identical
	// between runs.
	mtime := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	dir := func(name string) error {
		return tw.WriteHeader(&tar.Header{Name: name + "/", Mode: 0o755, ModTime: mtime, Typeflag: tar.TypeDir})
	}
	file := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	rie, err := os.ReadFile(rieBin)
	if err != nil {
		return nil, fmt.Errorf("image root: %w", err)
	}
	boot, err := os.ReadFile(bootstrap)
	if err != nil {
		return nil, fmt.Errorf("image root: %w (build the artifacts first: make build)", err)
	}
	if err := errors.Join(
		dir("usr"), dir("usr/local"), dir("usr/local/bin"),
		file(strings.TrimPrefix(riePath, "/"), rie),
		dir("var"), dir("var/task"),
		file(strings.TrimPrefix(bootstrapPath, "/"), boot),
		tw.Close(),
	); err != nil {
		return nil, fmt.Errorf("image root: %w", err)
	}
	return buf.Bytes(), nil
}
