package initramfs_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/deployers/qemu/initramfs"
)

type entry struct {
	name         string
	dir, chr     bool
	perm         fs.FileMode
	major, minor uint32
	data         string
}

func write(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := initramfs.NewWriter(&buf)
	for _, e := range entries {
		var err error
		switch {
		case e.dir:
			err = w.Dir(e.name, e.perm)
		case e.chr:
			err = w.CharDev(e.name, e.perm, e.major, e.minor)
		default:
			err = w.File(e.name, e.perm, int64(len(e.data)), strings.NewReader(e.data))
		}
		if err != nil {
			t.Fatalf("write %s: %v", e.name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len()%4 != 0 {
		t.Errorf("archive length %d is not 4-byte aligned", buf.Len())
	}
	return buf.Bytes()
}

func readAll(t *testing.T, archive []byte) []entry {
	t.Helper()
	r := initramfs.NewReader(bytes.NewReader(archive))
	var got []entry
	for {
		h, err := r.Next()
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("read %s: %v", h.Name, err)
		}
		got = append(got, entry{name: h.Name, dir: h.IsDir(), chr: h.IsCharDev(), perm: h.Perm(),
			major: h.RdevMajor, minor: h.RdevMinor, data: string(data)})
		if !h.IsDir() && !h.IsCharDev() && !h.IsRegular() {
			t.Errorf("%s: unknown type in mode %o", h.Name, h.Mode)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
	}{
		{"empty", nil},
		{"one file", []entry{{name: "init", perm: 0o755, data: "#!binary"}}},
		{"empty file", []entry{{name: "empty", perm: 0o644}}},
		{"name lengths cover every padding", []entry{
			{name: "a", perm: 0o644, data: "1"},
			{name: "ab", perm: 0o644, data: "12"},
			{name: "abc", perm: 0o644, data: "123"},
			{name: "abcd", perm: 0o644, data: "1234"},
			{name: "abcde", perm: 0o644, data: "12345"},
		}},
		{"dirs and devices", []entry{
			{name: "dev", dir: true, perm: 0o755},
			{name: "tmp", dir: true, perm: fs.ModeSticky | 0o777},
			{name: "dev/console", chr: true, perm: 0o600, major: 5, minor: 1},
			{name: "dev/null", chr: true, perm: 0o666, major: 1, minor: 3},
		}},
		{"binary data", []entry{{name: "bin", perm: 0o700, data: string([]byte{0, 1, 2, 0xff, 0, 0, 0})}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, write(t, tt.entries))
			if len(got) != len(tt.entries) {
				t.Fatalf("read %d entries, wrote %d", len(got), len(tt.entries))
			}
			for i, want := range tt.entries {
				if got[i] != want {
					t.Errorf("entry %d: got %+v, want %+v", i, got[i], want)
				}
			}
		})
	}
}

func TestWriteInit(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(bin, []byte("\x7fELF pretend binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := initramfs.WriteInit(&buf, bin); err != nil {
		t.Fatal(err)
	}
	want := []entry{
		{name: "dev", dir: true, perm: 0o755},
		{name: "proc", dir: true, perm: 0o755},
		{name: "sys", dir: true, perm: 0o755},
		{name: "tmp", dir: true, perm: fs.ModeSticky | 0o777},
		{name: "dev/console", chr: true, perm: 0o600, major: 5, minor: 1},
		{name: "init", perm: 0o755, data: "\x7fELF pretend binary"},
	}
	got := readAll(t, buf.Bytes())
	if len(got) != len(want) {
		t.Fatalf("got %d entries %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	var again bytes.Buffer
	if err := initramfs.WriteInit(&again, bin); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two archives of the same binary differ: the build is not reproducible")
	}
}

func TestWriteInitErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		want string
	}{
		{"missing binary", filepath.Join(dir, "nope"), "no such file"},
		{"directory", dir, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := initramfs.WriteInit(&buf, tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestWriterRejects(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *initramfs.Writer) error
	}{
		{"empty name", func(w *initramfs.Writer) error { return w.Dir("", 0o755) }},
		{"dot", func(w *initramfs.Writer) error { return w.Dir(".", 0o755) }},
		{"NUL in name", func(w *initramfs.Writer) error { return w.Dir("a\x00b", 0o755) }},
		{"short data", func(w *initramfs.Writer) error { return w.File("f", 0o644, 10, strings.NewReader("abc")) }},
		{"negative size", func(w *initramfs.Writer) error { return w.File("f", 0o644, -1, strings.NewReader("")) }},
		{"after close", func(w *initramfs.Writer) error {
			if err := w.Close(); err != nil {
				return nil // reported as "no error" below
			}
			return w.Dir("late", 0o755)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.write(initramfs.NewWriter(io.Discard)); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestReaderRejects(t *testing.T) {
	good := write(t, []entry{{name: "init", perm: 0o755, data: "hello"}})
	tests := []struct {
		name  string
		input []byte
		want  error
	}{
		{"empty", nil, io.ErrUnexpectedEOF},
		{"no trailer", good[:len(good)-124], io.ErrUnexpectedEOF},
		{"truncated data", good[:120], io.ErrUnexpectedEOF},
		{"bad magic", append([]byte("070707"), good[6:]...), initramfs.ErrFormat},
		{"bad hex", append([]byte("070701zz"), good[8:]...), initramfs.ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := initramfs.NewReader(bytes.NewReader(tt.input))
			var err error
			for err == nil {
				_, err = r.Next()
				if err == nil {
					_, err = io.ReadAll(r)
				}
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestCpioTool checks the archive with GNU cpio when it is installed
// (apt-get install cpio); the tests above do not need it.
func TestCpioTool(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("skipping: cpio not installed (apt-get install cpio)")
	}
	archive := write(t, []entry{
		{name: "dev", dir: true, perm: 0o755},
		{name: "dev/console", chr: true, perm: 0o600, major: 5, minor: 1},
		{name: "init", perm: 0o755, data: "hello"},
	})
	cmd := exec.Command("cpio", "-t", "-v", "--quiet")
	cmd.Stdin = bytes.NewReader(archive)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -t: %v: %s", err, out)
	}
	for _, want := range []string{"drwxr-xr-x", "crw-------", "5,", "dev/console", "-rwxr-xr-x", "init"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("cpio -tv output lacks %q:\n%s", want, out)
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte{})
	var buf bytes.Buffer
	w := initramfs.NewWriter(&buf)
	_ = w.Dir("dev", 0o755)
	_ = w.CharDev("dev/console", 0o600, 5, 1)
	_ = w.File("init", 0o755, 3, strings.NewReader("abc"))
	_ = w.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		r := initramfs.NewReader(bytes.NewReader(data))
		for i := 0; i < 1000; i++ {
			h, err := r.Next()
			if err != nil {
				return
			}
			if h.Name == "" || strings.ContainsRune(h.Name, 0) {
				t.Fatalf("accepted a bad name %q", h.Name)
			}
			n, err := io.Copy(io.Discard, r)
			if err == nil && n != h.Size {
				t.Fatalf("read %d bytes of a %d-byte entry without error", n, h.Size)
			}
			if err != nil {
				return
			}
		}
	})
}
