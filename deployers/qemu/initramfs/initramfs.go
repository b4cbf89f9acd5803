// Package initramfs writes and reads the Linux initramfs format: a "newc"
// (SVR4, no checksum) cpio archive, optionally gzip-compressed by the caller.
//
// The kernel unpacks it into its root file system and runs /init as PID 1, so
// a microVM needs nothing but a kernel and an archive holding one static
// binary and a /dev/console node (the kernel opens it for PID 1's stdio
// before any devtmpfs is mounted). Archives are reproducible: every mtime,
// uid and gid is zero and inode numbers follow the order of the entries.
package initramfs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// File type bits of a cpio mode (they are the st_mode bits of Linux).
const (
	typeMask = 0o170000
	typeDir  = 0o040000
	typeReg  = 0o100000
	typeChr  = 0o020000
)

const (
	magic      = "070701"
	headerLen  = 110 // magic + 13 fields of 8 hex digits
	trailer    = "TRAILER!!!"
	maxNameLen = 4096
)

// Header describes one archive entry.
type Header struct {
	Name string
	// Mode is the raw st_mode: file type bits and permissions.
	Mode uint32
	Size int64
	// RdevMajor and RdevMinor are the device numbers of a device node.
	RdevMajor, RdevMinor uint32
}

// IsDir, IsRegular and IsCharDev report the entry's file type.
func (h *Header) IsDir() bool     { return h.Mode&typeMask == typeDir }
func (h *Header) IsRegular() bool { return h.Mode&typeMask == typeReg }
func (h *Header) IsCharDev() bool { return h.Mode&typeMask == typeChr }

// Perm returns the permission bits, with setuid, setgid and sticky as Go's flags.
func (h *Header) Perm() fs.FileMode {
	m := fs.FileMode(h.Mode & 0o777)
	if h.Mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if h.Mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if h.Mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// Writer writes a newc archive entry by entry; Close writes the trailer.
type Writer struct {
	w      *bufio.Writer
	ino    uint32
	closed bool
}

// NewWriter returns a Writer writing to w. Close does not close w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriterSize(w, 1<<16)} }

// Dir adds a directory.
func (w *Writer) Dir(name string, perm fs.FileMode) error {
	return w.header(&Header{Name: name, Mode: typeDir | permBits(perm)}, 2)
}

// CharDev adds a character device node.
func (w *Writer) CharDev(name string, perm fs.FileMode, major, minor uint32) error {
	return w.header(&Header{Name: name, Mode: typeChr | permBits(perm), RdevMajor: major, RdevMinor: minor}, 1)
}

// File adds a regular file of size bytes read from r; r must hold exactly
// size bytes, or the archive would be corrupt.
func (w *Writer) File(name string, perm fs.FileMode, size int64, r io.Reader) error {
	if size < 0 || size > 0xffffffff {
		return fmt.Errorf("initramfs: %s: size %d does not fit a newc archive", name, size)
	}
	if err := w.header(&Header{Name: name, Mode: typeReg | permBits(perm), Size: size}, 1); err != nil {
		return err
	}
	n, err := io.Copy(w.w, io.LimitReader(r, size))
	if err != nil {
		return fmt.Errorf("initramfs: write %s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("initramfs: write %s: got %d bytes, want %d", name, n, size)
	}
	return w.pad(size)
}

// Close writes the trailer and flushes. It is safe to call twice.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if err := w.header(&Header{Name: trailer}, 1); err != nil {
		return err
	}
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("initramfs: flush: %w", err)
	}
	return nil
}

func (w *Writer) header(h *Header, nlink uint32) error {
	name := strings.TrimPrefix(h.Name, "/")
	if err := checkName(name); err != nil {
		return err
	}
	if w.closed && name != trailer {
		return errors.New("initramfs: write after close")
	}
	w.ino++
	ino := w.ino
	if name == trailer {
		ino = 0
	}
	// Fields: ino mode uid gid nlink mtime filesize devmajor devminor
	// rdevmajor rdevminor namesize check.
	_, err := fmt.Fprintf(w.w, "%s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%s\x00",
		magic, ino, h.Mode, 0, 0, nlink, 0, h.Size, 0, 0, h.RdevMajor, h.RdevMinor, len(name)+1, 0, name)
	if err != nil {
		return fmt.Errorf("initramfs: write header %s: %w", name, err)
	}
	return w.pad(int64(headerLen + len(name) + 1))
}

// pad writes the zeros that align the next field to 4 bytes.
func (w *Writer) pad(n int64) error {
	if p := padding(n); p > 0 {
		if _, err := w.w.Write(make([]byte, p)); err != nil {
			return fmt.Errorf("initramfs: pad: %w", err)
		}
	}
	return nil
}

// permBits maps Go's permission, setuid, setgid and sticky flags to the
// st_mode bits, which Go keeps in different places.
func permBits(m fs.FileMode) uint32 {
	b := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

func padding(n int64) int64 { return (4 - n%4) % 4 }

func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("initramfs: invalid entry name %q", name)
	case len(name) >= maxNameLen:
		return fmt.Errorf("initramfs: entry name of %d bytes is too long", len(name))
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("initramfs: entry name %q contains NUL", name)
	}
	return nil
}

// WriteInit writes the archive of a microVM whose PID 1 is the static binary
// at initPath: /init (0755), /dev/console (char 5:1, so the kernel can give
// PID 1 its stdio), and the mount points /dev, /proc, /sys and /tmp.
func WriteInit(w io.Writer, initPath string) error {
	f, err := os.Open(initPath)
	if err != nil {
		return fmt.Errorf("initramfs: open init binary: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("initramfs: stat init binary: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("initramfs: init binary %s is not a regular file", initPath)
	}
	aw := NewWriter(w)
	for _, d := range []string{"dev", "proc", "sys", "tmp"} {
		perm := fs.FileMode(0o755)
		if d == "tmp" {
			perm = fs.ModeSticky | 0o777
		}
		if err := aw.Dir(d, perm); err != nil {
			return err
		}
	}
	if err := aw.CharDev("dev/console", 0o600, 5, 1); err != nil {
		return err
	}
	if err := aw.File("init", 0o755, st.Size(), f); err != nil {
		return err
	}
	return aw.Close()
}
