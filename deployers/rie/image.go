package rie

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
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

// buildImage builds the FROM-scratch function image and returns its id.
func (dp *Deployer) buildImage(ctx context.Context, tag, runID, deployment, rieBin, bootstrap string) (string, error) {
	buildCtx, err := buildContext(rieBin, bootstrap)
	if err != nil {
		return "", err
	}
	res, err := dp.api.ImageBuild(ctx, bytes.NewReader(buildCtx), client.ImageBuildOptions{
		Tags:        []string{tag},
		Labels:      labels(runID, deployment),
		Remove:      true,
		ForceRemove: true,
		Dockerfile:  "Dockerfile",
	})
	if err != nil {
		return "", fmt.Errorf("build image: %w (is the Docker engine running?)", err)
	}
	defer res.Body.Close()
	return readBuildStream(res.Body)
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

// buildMessage is one JSON message of the engine's build stream.
type buildMessage struct {
	Stream      string `json:"stream"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux *struct {
		ID string `json:"ID"`
	} `json:"aux"`
}

// readBuildStream reads the build output to its end and returns the image
// id, or the build's error with its last output lines.
func readBuildStream(r io.Reader) (string, error) {
	dec := json.NewDecoder(r)
	var id string
	var tail []string
	for {
		var m buildMessage
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return "", fmt.Errorf("build image: read output: %w", err)
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			m.Error = m.ErrorDetail.Message
		}
		if m.Error != "" {
			return "", fmt.Errorf("build image: %s\n%s", m.Error, strings.Join(tail, "\n"))
		}
		if m.Aux != nil && m.Aux.ID != "" {
			id = m.Aux.ID
		}
		if s := strings.TrimSpace(m.Stream); s != "" {
			if rest, ok := strings.CutPrefix(s, "Successfully built "); ok && id == "" {
				id = rest
			}
			tail = append(tail, s)
			if len(tail) > 10 {
				tail = tail[1:]
			}
		}
	}
	if id == "" {
		return "", fmt.Errorf("build image: the engine reported no image id\n%s", strings.Join(tail, "\n"))
	}
	return id, nil
}
