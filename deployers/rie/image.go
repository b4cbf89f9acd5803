package rie

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/docker"
)

// dockerfile lays the image out like a Lambda custom runtime: the emulator
// as entrypoint finds the bootstrap at /var/task/bootstrap on its own.
const dockerfile = `FROM scratch
COPY aws-lambda-rie /usr/local/bin/aws-lambda-rie
COPY bootstrap /var/task/bootstrap
WORKDIR /var/task
USER ` + User + `
ENTRYPOINT ["/usr/local/bin/aws-lambda-rie"]
`

// labels are the labels of every resource of one deployment.
func labels(runID, deployment string) map[string]string {
	return map[string]string{
		deployers.LabelRunID:   runID,
		deployers.LabelVariant: string(deployers.Function),
		LabelBackend:           BackendName,
		LabelDeployment:        deployment,
	}
}

// labelFilters selects this backend's resources of runID (every run's when
// runID is empty).
func labelFilters(runID string) client.Filters {
	f := client.Filters{}
	f.Add("label", deployers.LabelVariant+"="+string(deployers.Function))
	f.Add("label", LabelBackend+"="+BackendName)
	if runID == "" {
		f.Add("label", deployers.LabelRunID)
	} else {
		f.Add("label", deployers.LabelRunID+"="+runID)
	}
	return f
}

// buildImage builds the FROM-scratch function image and returns its id
// (docker.BuildImageTar: no pull, failed builds leave no images).
func (dp *Deployer) buildImage(ctx context.Context, tag, runID, deployment, rieBin, bootstrap string) (string, error) {
	buildCtx, err := buildContext(rieBin, bootstrap)
	if err != nil {
		return "", err
	}
	return docker.BuildImageTar(ctx, dp.api, buildCtx, tag, labels(runID, deployment))
}

// buildContext is the tar of the Dockerfile, the emulator and the bootstrap.
func buildContext(rieBin, bootstrap string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	// A fixed time keeps the context identical between runs, so the
	// engine's build cache reuses the COPY layers.
	mtime := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	rie, err := os.ReadFile(rieBin)
	if err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	boot, err := os.ReadFile(bootstrap)
	if err != nil {
		return nil, fmt.Errorf("build context: %w (build the artifacts first: make build)", err)
	}
	if err := errors.Join(
		add("Dockerfile", 0o644, []byte(dockerfile)),
		add("aws-lambda-rie", 0o755, rie),
		add("bootstrap", 0o755, boot),
		tw.Close(),
	); err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	return buf.Bytes(), nil
}
