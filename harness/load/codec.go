package load

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// The compact sample encoding: what keeps every raw sample cheap at scale
// (results files, the worker's pipe). JSON spends ~200 bytes on a sample;
// here a sample costs a few bytes before compression.
//
// Layout, after the magic: the sample count n, a table of the distinct
// error strings, then one column after another, each n varints:
//
//	seq       zigzag delta from the previous sample's (first: from 0)
//	offset    zigzag delta of the delta (intended send times are evenly
//	          spaced, so nearly every value is 0)
//	latency   nanoseconds
//	queueing  zigzag(latency − service): the wait before the send
//	code      zigzag delta from the previous sample's status
//	error     index into the table, 0 for none
//
// Columns keep like values together, which is what a general compressor
// then makes the most of (results files wrap this in zstd).
// BenchmarkSampleFile in harness/results measures size and read time
// beside zstd-compressed JSON.
const sampleMagic = "clsamp1\n"

// EncodeSamples writes samples in the compact encoding.
func EncodeSamples(w io.Writer, samples []Sample) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf [binary.MaxVarintLen64]byte
	uv := func(x uint64) { _, _ = bw.Write(buf[:binary.PutUvarint(buf[:], x)]) }
	sv := func(x int64) { _, _ = bw.Write(buf[:binary.PutVarint(buf[:], x)]) }

	_, _ = bw.WriteString(sampleMagic)
	uv(uint64(len(samples)))
	errIndex := map[string]uint64{}
	var errTable []string
	for _, s := range samples {
		if s.Error != "" {
			if _, ok := errIndex[s.Error]; !ok {
				errTable = append(errTable, s.Error)
				errIndex[s.Error] = uint64(len(errTable))
			}
		}
	}
	uv(uint64(len(errTable)))
	for _, e := range errTable {
		uv(uint64(len(e)))
		_, _ = bw.WriteString(e)
	}
	var prevSeq uint64
	for _, s := range samples {
		sv(int64(s.Seq - prevSeq))
		prevSeq = s.Seq
	}
	var prevOff, prevDelta time.Duration
	for _, s := range samples {
		d := s.Offset - prevOff
		sv(int64(d - prevDelta))
		prevOff, prevDelta = s.Offset, d
	}
	for _, s := range samples {
		if s.Latency < 0 {
			return fmt.Errorf("encode samples: sample %d has a negative latency", s.Seq)
		}
		uv(uint64(s.Latency))
	}
	for _, s := range samples {
		sv(int64(s.Latency - s.Service))
	}
	prevCode := 0
	for _, s := range samples {
		sv(int64(s.Code - prevCode))
		prevCode = s.Code
	}
	for _, s := range samples {
		if s.Error == "" {
			uv(0)
		} else {
			uv(errIndex[s.Error])
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("encode samples: %w", err)
	}
	return nil
}

// DecodeSamples reads samples written by EncodeSamples (the whole stream:
// it is decoded from memory, which is several times faster than byte by
// byte from a reader).
func DecodeSamples(r io.Reader) ([]Sample, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("decode samples: %w", err)
	}
	return decodeSamples(b)
}

func decodeSamples(b []byte) ([]Sample, error) {
	if len(b) < len(sampleMagic) || string(b[:len(sampleMagic)]) != sampleMagic {
		return nil, errors.New("decode samples: not a computeladder samples stream")
	}
	d := decoder{b: b[len(sampleMagic):]}
	n := d.uvarint()
	// Every sample takes at least one byte in each of the six columns:
	// a count beyond that is a corrupt stream, not an allocation to make.
	if d.err == nil && n > uint64(len(d.b))/6 {
		return nil, fmt.Errorf("decode samples: %d samples cannot fit in %d bytes", n, len(d.b))
	}
	nErr := d.uvarint()
	if d.err == nil && nErr > n {
		return nil, fmt.Errorf("decode samples: %d error strings for %d samples", nErr, n)
	}
	var table []string
	for i := uint64(0); i < nErr && d.err == nil; i++ {
		l := d.uvarint()
		if d.err == nil && l > uint64(len(d.b)) {
			d.err = io.ErrUnexpectedEOF
			break
		}
		table = append(table, string(d.b[:l]))
		d.b = d.b[l:]
	}
	if d.err != nil {
		return nil, fmt.Errorf("decode samples: %w", d.err)
	}
	out := make([]Sample, n)
	var seq uint64
	for i := range out {
		seq += uint64(d.varint())
		out[i].Seq = seq
	}
	var off, delta time.Duration
	for i := range out {
		delta += time.Duration(d.varint())
		off += delta
		out[i].Offset = off
	}
	for i := range out {
		v := d.uvarint()
		if v > math.MaxInt64 {
			d.fail(errors.New("a latency out of range"))
		}
		out[i].Latency = time.Duration(v)
	}
	for i := range out {
		out[i].Service = out[i].Latency - time.Duration(d.varint())
	}
	code := 0
	for i := range out {
		code += int(d.varint())
		out[i].Code = code
	}
	for i := range out {
		switch k := d.uvarint(); {
		case k == 0:
		case k <= uint64(len(table)):
			out[i].Error = table[k-1]
		default:
			d.fail(fmt.Errorf("error index %d of %d", k, len(table)))
		}
	}
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%d bytes after the last column", len(d.b))
	}
	if d.err != nil {
		return nil, fmt.Errorf("decode samples: %w", d.err)
	}
	return out, nil
}

// decoder reads varints from memory and keeps the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(io.ErrUnexpectedEOF)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(io.ErrUnexpectedEOF)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}
