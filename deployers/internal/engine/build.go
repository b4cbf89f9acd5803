package engine

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// ImageBuilder is the part of the Docker client that BuildImage uses.
type ImageBuilder interface {
	ImageBuild(ctx context.Context, buildContext io.Reader, options client.ImageBuildOptions) (client.ImageBuildResult, error)
	ImageRemove(ctx context.Context, image string, options client.ImageRemoveOptions) (client.ImageRemoveResult, error)
}

// BuildImage builds the Dockerfile at the root of contextDir with the classic
// builder, tags it tag, labels it labels and returns the image id. It never
// pulls (the lab's images are FROM scratch and no registry is reachable) and
// removes intermediate containers even when the build fails. When the build
// fails, it also removes the intermediate images the builder committed on the
// way (they carry no labels, so Sweep could not find them); images that other
// builds still use as parents stay. The error of a failed build carries the
// builder's message (e.g. a COPY of a missing file).
func BuildImage(ctx context.Context, cli ImageBuilder, contextDir, tag string, labels map[string]string) (string, error) {
	tarball, err := TarDir(contextDir)
	if err != nil {
		return "", err
	}
	id, err := BuildImageTar(ctx, cli, tarball, tag, labels)
	if err != nil {
		return "", fmt.Errorf("%w (context %s)", err, contextDir)
	}
	return id, nil
}

// BuildImageTar is BuildImage for a build context already in a tarball,
// with the Dockerfile at its root.
func BuildImageTar(ctx context.Context, cli ImageBuilder, tarball []byte, tag string, labels map[string]string) (string, error) {
	res, err := cli.ImageBuild(ctx, bytes.NewReader(tarball), client.ImageBuildOptions{
		Tags:        []string{tag},
		Labels:      labels,
		Remove:      true,
		ForceRemove: true,
		// BuildKit needs a session the plain API client does not open; the
		// classic builder handles FROM scratch contexts just as well.
		Version: build.BuilderV1,
	})
	if err != nil {
		return "", fmt.Errorf("build image %s: %w", tag, err)
	}
	defer res.Body.Close()
	id, steps, err := readBuildStream(res.Body)
	if err != nil {
		removeIntermediates(ctx, cli, steps)
		return "", fmt.Errorf("build image %s: %w", tag, err)
	}
	if id == "" {
		// Engines that do not report the id in an aux message: the tag
		// identifies the image just as well.
		id = tag
	}
	return id, nil
}

// readBuildStream consumes the builder's JSON message stream and returns the
// built image id and the ids of the images committed for each step, or the
// builder's error together with the last output lines, which usually say
// which instruction failed.
func readBuildStream(r io.Reader) (id string, steps []string, err error) {
	dec := json.NewDecoder(r)
	var last []string
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return id, steps, nil
			}
			return "", steps, fmt.Errorf("read build output: %w", err)
		}
		if m.Error != nil {
			msg := m.Error.Message
			if len(last) > 0 {
				msg += " (after: " + strings.Join(last, " | ") + ")"
			}
			return "", steps, errors.New(msg)
		}
		for line := range strings.Lines(m.Stream) {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			// The classic builder reports each step's image as " ---> <id>".
			if step, ok := strings.CutPrefix(line, "---> "); ok && isHex(step) {
				steps = append(steps, step)
			}
			last = append(last, line)
			if len(last) > 3 {
				last = last[1:]
			}
		}
		if m.Aux != nil {
			var aux struct{ ID string }
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
		}
	}
}

// removeIntermediates removes the step images of a failed build, newest
// first. It is best effort: the build error is what the caller reports, and
// an image in use as another build's parent must stay.
func removeIntermediates(ctx context.Context, cli ImageBuilder, steps []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, id := range slices.Backward(steps) {
		_, _ = cli.ImageRemove(ctx, id, client.ImageRemoveOptions{})
	}
}

func isHex(s string) bool {
	if len(s) < 12 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

// TarDir returns dir as an uncompressed tar archive with paths relative to
// dir, the form the Docker build API expects. Build contexts here are small
// (one static binary), so the archive is held in memory. Modification times
// are zeroed so that the same files give the same archive.
func TarDir(dir string) ([]byte, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("build context: %w: build the artifacts first (make build)", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("build context %s: not a directory", dir)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		return addToTar(tw, path, filepath.ToSlash(rel), e)
	})
	if err != nil {
		return nil, fmt.Errorf("tar build context %s: %w", dir, err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("tar build context %s: %w", dir, err)
	}
	return buf.Bytes(), nil
}

func addToTar(tw *tar.Writer, path, name string, e fs.DirEntry) error {
	info, err := e.Info()
	if err != nil {
		return err
	}
	link := ""
	if info.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(path); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	hdr.Name = name
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = time.Unix(0, 0), time.Time{}, time.Time{}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}

// ImageImporter is the part of the Docker client that ImportImage uses.
type ImageImporter interface {
	ImageImport(ctx context.Context, source client.ImageImportSource, ref string, options client.ImageImportOptions) (client.ImageImportResult, error)
}

// ImportImage imports a root file system tarball as the image ref, with
// changes (Dockerfile instructions such as ENTRYPOINT the engine applies
// on import) and labels, and returns its id. It never pulls, and an import
// either makes the image or nothing: one layer and no builder containers,
// where the classic builder commits one container per instruction.
func ImportImage(ctx context.Context, cli ImageImporter, rootfs []byte, ref string, changes []string, labels map[string]string) (string, error) {
	changes = slices.Clone(changes)
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		changes = append(changes, "LABEL "+strconv.Quote(k)+"="+strconv.Quote(labels[k]))
	}
	res, err := cli.ImageImport(ctx, client.ImageImportSource{Source: bytes.NewReader(rootfs), SourceName: "-"}, ref, client.ImageImportOptions{Changes: changes})
	if err != nil {
		return "", fmt.Errorf("import image %s: %w", ref, err)
	}
	defer res.Close()
	id, err := readImportStream(res)
	if err != nil {
		return "", fmt.Errorf("import image %s: %w", ref, err)
	}
	return id, nil
}

// readImportStream returns the image id an import reports ("status" of
// its last message), or the engine's error.
func readImportStream(r io.Reader) (string, error) {
	dec := json.NewDecoder(r)
	var id string
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return "", fmt.Errorf("read import output: %w", err)
		}
		if m.Error != nil {
			return "", errors.New(m.Error.Message)
		}
		if strings.HasPrefix(m.Status, "sha256:") {
			id = strings.TrimSpace(m.Status)
		}
	}
	if id == "" {
		return "", errors.New("the engine reported no image id")
	}
	return id, nil
}
