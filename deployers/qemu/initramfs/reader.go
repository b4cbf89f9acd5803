package initramfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Reader reads a newc archive entry by entry, like archive/tar.Reader: Next
// moves to the next entry and Read reads its contents. It exists so that
// tests (and the curious) can check an archive without the cpio tool.
type Reader struct {
	r      io.Reader
	remain int64 // unread bytes of the current entry
	pad    int64 // padding after the current entry's data
	done   bool
}

// NewReader returns a Reader reading from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// ErrFormat is wrapped by errors about input that is not a newc archive.
var ErrFormat = errors.New("not a newc cpio archive")

// Next returns the next entry's header, or io.EOF after the trailer.
func (r *Reader) Next() (*Header, error) {
	if r.done {
		return nil, io.EOF
	}
	if _, err := io.CopyN(io.Discard, r.r, r.remain+r.pad); err != nil {
		return nil, fmt.Errorf("initramfs: skip entry: %w", unexpected(err))
	}
	r.remain, r.pad = 0, 0
	var hdr [headerLen]byte
	if _, err := io.ReadFull(r.r, hdr[:]); err != nil {
		return nil, fmt.Errorf("initramfs: read header: %w", unexpected(err))
	}
	if string(hdr[:6]) != magic {
		return nil, fmt.Errorf("initramfs: bad magic %q: %w", hdr[:6], ErrFormat)
	}
	var f [13]uint32
	for i := range f {
		v, err := strconv.ParseUint(string(hdr[6+8*i:14+8*i]), 16, 32)
		if err != nil {
			return nil, fmt.Errorf("initramfs: header field %d: %w", i, ErrFormat)
		}
		f[i] = uint32(v)
	}
	nameSize := int64(f[11])
	if nameSize < 2 || nameSize > maxNameLen {
		return nil, fmt.Errorf("initramfs: name size %d: %w", nameSize, ErrFormat)
	}
	name := make([]byte, nameSize+padding(headerLen+nameSize))
	if _, err := io.ReadFull(r.r, name); err != nil {
		return nil, fmt.Errorf("initramfs: read name: %w", unexpected(err))
	}
	if name[nameSize-1] != 0 || bytes.IndexByte(name[:nameSize-1], 0) >= 0 {
		return nil, fmt.Errorf("initramfs: name not a NUL-terminated string: %w", ErrFormat)
	}
	h := &Header{
		Name:      string(name[:nameSize-1]),
		Mode:      f[1],
		Size:      int64(f[6]),
		RdevMajor: f[9],
		RdevMinor: f[10],
	}
	if h.Name == trailer {
		r.done = true
		return nil, io.EOF
	}
	r.remain, r.pad = h.Size, padding(h.Size)
	return h, nil
}

// Read reads the current entry's contents.
func (r *Reader) Read(p []byte) (int, error) {
	if r.remain <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.remain {
		p = p[:r.remain]
	}
	n, err := r.r.Read(p)
	r.remain -= int64(n)
	if err == io.EOF && r.remain > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// unexpected turns a bare EOF inside an entry into ErrUnexpectedEOF: only the
// trailer may end an archive.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
