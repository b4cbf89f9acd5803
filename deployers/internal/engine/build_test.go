package engine

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/deployers"
	"github.com/moby/moby/client"
)

func TestReadBuildStream(t *testing.T) {
	tests := []struct {
		name, stream, wantID, wantErr string
		wantSteps                     []string
	}{
		{
			name:      "success reports id and steps",
			stream:    `{"stream":"Step 1/2 : FROM scratch\n"}{"stream":" ---\u003e 525b78de634a\n"}{"aux":{"ID":"sha256:abc"}}{"stream":"Successfully built abc\n"}`,
			wantID:    "sha256:abc",
			wantSteps: []string{"525b78de634a"},
		},
		{
			name:      "error carries last output and steps so far",
			stream:    `{"stream":"Step 1/3 : FROM scratch\n"}{"stream":"Step 2/3 : COPY app /app\n"}{"stream":" ---\u003e 525b78de634a\n"}{"stream":"Step 3/3 : COPY missing /m\n"}{"errorDetail":{"message":"COPY failed: file not found"},"error":"COPY failed: file not found"}`,
			wantErr:   "COPY failed: file not found (after: Step 2/3 : COPY app /app | ---> 525b78de634a | Step 3/3 : COPY missing /m)",
			wantSteps: []string{"525b78de634a"},
		},
		{name: "truncated stream", stream: `{"stream":"Step 1`, wantErr: "read build output"},
		{name: "no id", stream: `{"stream":"ok\n"}{"stream":" ---\u003e Using cache\n"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, steps, err := readBuildStream(strings.NewReader(tt.stream))
			if !slices.Equal(steps, tt.wantSteps) {
				t.Errorf("steps = %v, want %v", steps, tt.wantSteps)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || id != tt.wantID {
				t.Fatalf("id, err = %q, %v; want %q", id, err, tt.wantID)
			}
		})
	}
}

func TestTarDir(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"Dockerfile": "FROM scratch\n", "app": "binary", "sub/x": "x"}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := TarDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeDir {
			got[h.Name] = "dir"
			continue
		}
		data, _ := io.ReadAll(tr)
		got[h.Name] = string(data)
		if h.Mode&0o111 == 0 {
			t.Errorf("%s lost its exec bit: %o", h.Name, h.Mode)
		}
	}
	want := map[string]string{"Dockerfile": "FROM scratch\n", "app": "binary", "sub": "dir", "sub/x": "x"}
	if len(got) != len(want) {
		t.Fatalf("tar has %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	again, err := TarDir(dir)
	if err != nil || !bytes.Equal(b, again) {
		t.Errorf("tar of the same files differs between calls (err %v)", err)
	}
	if _, err := TarDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("TarDir of a missing dir: no error")
	}
}

func TestLabelFilters(t *testing.T) {
	tests := []struct {
		runID string
		want  []string
	}{
		{"r1", []string{deployers.LabelRunID + "=r1", deployers.LabelVariant + "=container"}},
		{"", []string{deployers.LabelRunID, deployers.LabelVariant + "=container"}},
	}
	for _, tt := range tests {
		f := LabelFilters(tt.runID, deployers.Container)
		var got []string
		for k := range f["label"] {
			got = append(got, k)
		}
		slices.Sort(got)
		slices.Sort(tt.want)
		if !slices.Equal(got, tt.want) || len(f) != 1 {
			t.Errorf("LabelFilters(%q) = %v, want label filters %v", tt.runID, f, tt.want)
		}
	}
}

func TestReadImportStream(t *testing.T) {
	for _, tt := range []struct {
		name, stream, wantID, wantErr string
	}{
		{name: "id in the last status", stream: `{"status":"Importing"}{"status":"sha256:abc\n"}`, wantID: "sha256:abc"},
		{name: "engine error", stream: `{"status":"Importing"}{"errorDetail":{"message":"no space left"},"error":"no space left"}`, wantErr: "no space left"},
		{name: "no id", stream: `{"status":"Importing"}`, wantErr: "no image id"},
		{name: "truncated stream", stream: `{"status":"sha`, wantErr: "read import output"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id, err := readImportStream(strings.NewReader(tt.stream))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || id != tt.wantID {
				t.Fatalf("id, err = %q, %v; want %q", id, err, tt.wantID)
			}
		})
	}
}

// fakeImporter records the import it is asked for and answers stream.
type fakeImporter struct {
	ref     string
	changes []string
	rootfs  []byte
	stream  string
}

func (f *fakeImporter) ImageImport(_ context.Context, src client.ImageImportSource, ref string, o client.ImageImportOptions) (client.ImageImportResult, error) {
	f.ref, f.changes = ref, o.Changes
	f.rootfs, _ = io.ReadAll(src.Source)
	return io.NopCloser(strings.NewReader(f.stream)), nil
}

// TestImportImageLabels: the labels become LABEL changes after the
// caller's own, in a stable order, and the caller's slice is left alone.
func TestImportImageLabels(t *testing.T) {
	f := &fakeImporter{stream: `{"status":"sha256:feed"}`}
	changes := []string{"USER 1:1", `ENTRYPOINT ["/x"]`}
	labels := Labels("r1", deployers.Lambda)
	labels["z.extra"] = `a "quoted" value`
	id, err := ImportImage(context.Background(), f, []byte("rootfs"), "img:tag", changes[:1], labels)
	if err != nil || id != "sha256:feed" {
		t.Fatalf("ImportImage = %q, %v; want sha256:feed", id, err)
	}
	want := []string{"USER 1:1",
		`LABEL "` + deployers.LabelOwner + `"="` + deployers.Self() + `"`,
		`LABEL "` + deployers.LabelRunID + `"="r1"`,
		`LABEL "` + deployers.LabelVariant + `"="lambda"`,
		`LABEL "z.extra"="a \"quoted\" value"`}
	if !slices.Equal(f.changes, want) || f.ref != "img:tag" || string(f.rootfs) != "rootfs" {
		t.Errorf("import of %q with %q (rootfs %q), want img:tag with %q", f.ref, f.changes, f.rootfs, want)
	}
	if changes[1] != `ENTRYPOINT ["/x"]` {
		t.Errorf("the caller's changes were overwritten: %q", changes)
	}
	f.stream = `{"error":"refused","errorDetail":{"message":"refused"}}`
	if _, err := ImportImage(context.Background(), f, nil, "img:bad", nil, nil); err == nil || !strings.Contains(err.Error(), "import image img:bad: refused") {
		t.Errorf("failed import: err = %v, want the ref and the engine's message", err)
	}
}
