package localfriction

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Report is one REPORT line of the emulator's log, the line Lambda writes
// at the end of every invocation.
type Report struct {
	// InitDuration is the line's Init Duration (0 when it has none: only
	// an init's first invoke carries one).
	InitDuration time.Duration `json:"init_duration_ns,omitempty"`
	Duration     time.Duration `json:"duration_ns"`
	// MemorySizeMB and MaxMemoryUsedMB are the line's Memory Size and
	// Max Memory Used.
	MemorySizeMB    int `json:"memory_size_mb"`
	MaxMemoryUsedMB int `json:"max_memory_used_mb"`
}

// parseReports returns the REPORT lines of an emulator log, in order; a
// line whose fields do not parse is skipped (a log is evidence, not input
// to reject).
func parseReports(log string) []Report {
	var out []Report
	for line := range strings.Lines(log) {
		if !strings.HasPrefix(line, "REPORT RequestId: ") {
			continue
		}
		var r Report
		ok := true
		for field := range strings.SplitSeq(strings.TrimSpace(line), "\t") {
			k, v, found := strings.Cut(field, ": ")
			if !found {
				continue
			}
			switch k {
			case "Init Duration":
				r.InitDuration, ok = millis(v, ok)
			case "Duration":
				r.Duration, ok = millis(v, ok)
			case "Memory Size":
				r.MemorySizeMB, ok = megabytes(v, ok)
			case "Max Memory Used":
				r.MaxMemoryUsedMB, ok = megabytes(v, ok)
			}
		}
		if ok && r.MemorySizeMB > 0 {
			out = append(out, r)
		}
	}
	return out
}

// millis parses "12.34 ms"; ok stays false once false.
func millis(v string, ok bool) (time.Duration, bool) {
	n, found := strings.CutSuffix(strings.TrimSpace(v), " ms")
	f, err := strconv.ParseFloat(n, 64)
	if !found || err != nil || math.IsNaN(f) || f < 0 || f > 24*3600*1000 {
		return 0, false
	}
	return time.Duration(f * float64(time.Millisecond)), ok
}

// megabytes parses "128 MB"; ok stays false once false.
func megabytes(v string, ok bool) (int, bool) {
	n, found := strings.CutSuffix(strings.TrimSpace(v), " MB")
	i, err := strconv.Atoi(n)
	if !found || err != nil || i < 0 {
		return 0, false
	}
	return i, ok
}

// count counts the log's lines that contain s.
func count(log, s string) int {
	var n int
	for line := range strings.Lines(log) {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}
