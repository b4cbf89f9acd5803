package results

import (
	"bufio"
	"fmt"
	"os"

	"github.com/klauspost/compress/zstd"

	"github.com/computeladder/computeladder/harness/load"
)

// WriteSamples stores samples at path: the load package's compact columnar
// encoding (a few bytes a sample), compressed with zstd. A million samples
// take a few MB where inline JSON took ~200 MB; BenchmarkSampleFile
// measures both.
func WriteSamples(path string, samples []load.Sample) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write samples: %w", err)
	}
	zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedBetterCompression))
	if err != nil {
		f.Close()
		return fmt.Errorf("write samples: %w", err)
	}
	err = load.EncodeSamples(zw, samples)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write samples %s: %w", path, err)
	}
	return nil
}

// ReadSamples reads a file written by WriteSamples.
func ReadSamples(path string) ([]load.Sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read samples: %w (it belongs beside results.json)", err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(bufio.NewReaderSize(f, 256<<10))
	if err != nil {
		return nil, fmt.Errorf("read samples %s: %w", path, err)
	}
	defer zr.Close()
	samples, err := load.DecodeSamples(zr)
	if err != nil {
		return nil, fmt.Errorf("read samples %s: %w", path, err)
	}
	return samples, nil
}
