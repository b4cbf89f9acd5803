package report

import (
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

// BenchmarkReportLargeRun: `report` and `compare` of a run whose warm load
// kept a million raw samples (1,000 req/s for about 17 minutes): reading
// results.json and its samples file, then rendering. Goal: ≤ 1 s each,
// and the run's files ≤ 10 MB.
func BenchmarkReportLargeRun(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(3, 4))
	run := warmRun(0, 1000)
	res := run.Variants[0].Warm.Result
	res.Samples = make([]load.Sample, n)
	for i := range res.Samples {
		d := time.Duration(1.2e6 * math.Exp(0.5*rng.NormFloat64()))
		res.Samples[i] = load.Sample{Seq: uint64(i), Offset: time.Duration(i+1) * time.Millisecond, Latency: d, Service: d, Code: 200}
	}
	res.Duration = n * time.Millisecond
	res.Summary = load.Summarize(res.Samples, res.Duration)
	res.Summary.Scheduled = n
	dir := b.TempDir()
	path, err := results.Write(dir, run)
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		fi, _ := os.Stat(filepath.Join(dir, e.Name()))
		size += fi.Size()
	}

	b.Run("report", func(b *testing.B) {
		for b.Loop() {
			r, err := results.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			if err := Markdown(io.Discard, r); err != nil {
				b.Fatal(err)
			}
			if err := HTML(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(size)/1e6, "MB-on-disk")
	})
	b.Run("compare", func(b *testing.B) {
		for b.Loop() {
			r, err := results.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			if err := Compare(io.Discard, []*results.Run{r}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
