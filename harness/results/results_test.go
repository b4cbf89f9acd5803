package results

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
)

func TestStatsOf(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, x := range n {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	const m = time.Millisecond
	tests := []struct {
		name string
		in   []time.Duration
		want Stats
	}{
		{"empty", nil, Stats{}},
		{"one", ms(5), Stats{N: 1, Median: 5 * m, Min: 5 * m, Max: 5 * m, Q1: 5 * m, Q3: 5 * m}},
		{"odd", ms(9, 1, 5, 3, 7), Stats{N: 5, Median: 5 * m, Min: 1 * m, Max: 9 * m, Q1: 2 * m, Q3: 8 * m}},
		{"even", ms(4, 1, 3, 2), Stats{N: 4, Median: 2500 * time.Microsecond, Min: 1 * m, Max: 4 * m, Q1: 1500 * time.Microsecond, Q3: 3500 * time.Microsecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StatsOf(tt.in); got != tt.want {
				t.Errorf("StatsOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC)
	in := &Run{
		SchemaVersion: SchemaVersion, RunID: "r1", Started: t0, Target: "local",
		Variants: []Variant{{
			Variant: deployers.Container, Backend: "docker",
			Startup: Startup{Samples: []StartupSample{{
				Phases: deployers.Timeline{{Name: "deploy", At: t0}, {Name: "first-200", At: t0.Add(300 * time.Millisecond)}},
				Total:  300 * time.Millisecond,
			}}},
		}},
	}
	dir := t.TempDir()
	path, err := Write(dir, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(in)
	b, _ := json.Marshal(out)
	if !bytes.Equal(a, b) {
		t.Errorf("round trip changed the document:\n%s\n%s", a, b)
	}
}

func TestReadRejects(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", "nope", "decode results"},
		{"no version", `{"run_id":"x"}`, "no schema_version"},
		{"future version", `{"schema_version":99}`, "schema version 99, this computeladder reads 1 to 2: use a newer computeladder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Read error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
