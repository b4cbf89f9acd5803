package results

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/load"
)

// syntheticSamples is a warm load at 1,000 req/s as the generator records
// it: in completion order (neighbours now and then swapped), log-normal
// latencies around 1.2 ms at nanosecond resolution, a little queueing
// before some sends, one answer in a thousand a 503 and one in two
// thousand a transport error.
func syntheticSamples(n int) []load.Sample {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]load.Sample, n)
	for i := range out {
		lat := time.Duration(1.2e6 * math.Exp(0.5*rng.NormFloat64()))
		s := load.Sample{Seq: uint64(i), Offset: time.Duration(i+1) * time.Millisecond, Latency: lat, Service: lat, Code: 200}
		if rng.IntN(10) == 0 {
			s.Service -= time.Duration(rng.IntN(50_000))
		}
		switch rng.IntN(2000) {
		case 0, 1:
			s.Code = 503
		case 2:
			s.Code, s.Error = 0, `Post "http://127.0.0.1:32768/checkout": dial tcp 127.0.0.1:32768: connect: connection refused`
		}
		out[i] = s
	}
	for i := 1; i < n; i++ {
		if rng.IntN(20) == 0 {
			out[i-1], out[i] = out[i], out[i-1]
		}
	}
	return out
}

func runWithSamples(samples []load.Sample) *Run {
	res := &load.Result{Rate: 1000, Duration: time.Duration(len(samples)) * time.Millisecond, Samples: samples}
	res.Summary = load.Summarize(samples, res.Duration)
	res.Summary.Scheduled = len(samples)
	return &Run{
		SchemaVersion: SchemaVersion, RunID: "r-samples", Target: "local",
		Variants: []Variant{{Variant: deployers.Container, Backend: "docker", Warm: &Warm{Endpoint: "POST /checkout", Result: res}}},
	}
}

// TestWriteKeepsSamplesBeside is the regression test for raw samples that
// made results.json huge (~200 bytes a sample, inline): the document stays
// small, the samples file takes a few bytes a sample, and reading gives
// back every sample as it was.
func TestWriteKeepsSamplesBeside(t *testing.T) {
	const n = 100_000
	in := runWithSamples(syntheticSamples(n))
	dir := t.TempDir()
	path, err := Write(dir, in)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc) > 16<<10 || bytes.Contains(doc, []byte(`"samples": [`)) {
		t.Errorf("results.json is %d bytes: the samples belong beside it", len(doc))
	}
	w := in.Variants[0].Warm
	fi, err := os.Stat(filepath.Join(dir, w.SamplesFile))
	if err != nil {
		t.Fatalf("samples file: %v", err)
	}
	if perSample := float64(fi.Size()) / n; perSample > 10 {
		t.Errorf("%.1f bytes a sample on disk, want at most 10 (1 M samples ≤ 10 MB)", perSample)
	}
	out, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Variants[0].Warm.Result.Samples, w.Result.Samples) {
		t.Error("samples read back differ from those written")
	}
	if out.SchemaVersion != SchemaVersion || out.Variants[0].Warm.Result.Summary != w.Result.Summary {
		t.Errorf("document read back differs: version %d, summary %+v", out.SchemaVersion, out.Variants[0].Warm.Result.Summary)
	}
	// Writing what was read does not write the samples again.
	before := fi.ModTime()
	time.Sleep(10 * time.Millisecond)
	if _, err := Write(dir, out); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, w.SamplesFile)); !fi.ModTime().Equal(before) {
		t.Error("the samples file was rewritten though nothing in it changed")
	}
}

// A results.json of schema version 1 (samples inline) still loads: its
// samples stay, and what version 2 adds is derived from them.
func TestReadVersion1(t *testing.T) {
	run, err := ReadFile("testdata/v1-inline-samples.json")
	if err != nil {
		t.Fatal(err)
	}
	res := run.Variants[0].Warm.Result
	s := res.Summary
	if run.SchemaVersion != SchemaVersion || len(res.Samples) != 4 {
		t.Fatalf("version %d, %d samples; want %d and the 4 inline samples", run.SchemaVersion, len(res.Samples), SchemaVersion)
	}
	if s.Scheduled != 4 || s.Requests != 4 || s.Answered != 3 || s.Errors != 1 || s.Latency.N != 3 {
		t.Errorf("scheduled/sent/answered/errors/n = %d/%d/%d/%d/%d, want 4/4/3/1/3", s.Scheduled, s.Requests, s.Answered, s.Errors, s.Latency.N)
	}
	// Written again, it is a version 2 run with its samples beside it.
	dir := t.TempDir()
	path, err := Write(dir, run)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Variants[0].Warm.Result.Samples, res.Samples) {
		t.Error("samples changed on the way from version 1 to 2")
	}
}

func TestReadFileRefusesSamplesThatDoNotBelong(t *testing.T) {
	write := func(t *testing.T, edit func(doc map[string]any)) string {
		t.Helper()
		dir := t.TempDir()
		path, err := Write(dir, runWithSamples(syntheticSamples(10)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		edit(doc["variants"].([]any)[0].(map[string]any)["warm"].(map[string]any))
		b, _ = json.Marshal(doc)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name string
		edit func(w map[string]any)
		want string
	}{
		{"missing", func(w map[string]any) { w["samples_file"] = "gone.samples.zst" }, "beside results.json"},
		{"outside", func(w map[string]any) { w["samples_file"] = "../elsewhere.zst" }, "must name a file beside it"},
		{"count", func(w map[string]any) { w["sample_count"] = 11 }, "do not belong together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadFile(write(t, func(doc map[string]any) { tt.edit(doc) }))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

// BenchmarkSampleFile: a million raw samples on disk and read back, in the
// compact columnar encoding (what results use) beside the same samples as
// zstd-compressed JSON (the obvious alternative). Goal: ≤ 10 MB, read in
// well under a second.
func BenchmarkSampleFile(b *testing.B) {
	samples := syntheticSamples(1_000_000)
	b.Run("columnar-zstd", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "s.zst")
		if err := WriteSamples(path, samples); err != nil {
			b.Fatal(err)
		}
		fi, _ := os.Stat(path)
		for b.Loop() {
			if _, err := ReadSamples(path); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(fi.Size())/1e6, "MB")
	})
	b.Run("json-zstd", func(b *testing.B) {
		var buf bytes.Buffer
		zw, _ := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedBetterCompression))
		if err := json.NewEncoder(zw).Encode(samples); err != nil {
			b.Fatal(err)
		}
		zw.Close()
		for b.Loop() {
			zr, _ := zstd.NewReader(bytes.NewReader(buf.Bytes()))
			var out []load.Sample
			if err := json.NewDecoder(zr).Decode(&out); err != nil {
				b.Fatal(err)
			}
			zr.Close()
		}
		b.ReportMetric(float64(buf.Len())/1e6, "MB")
	})
}
