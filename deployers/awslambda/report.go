package awslambda

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Report is the figures of one REPORT line, which Lambda writes at the end
// of every invocation:
//
//	REPORT RequestId: 8f5… Duration: 12.34 ms Billed Duration: 13 ms Memory Size: 128 MB Max Memory Used: 19 MB Init Duration: 72.10 ms
//
// (fields separated by tabs). Init Duration appears only on the first
// invocation of a new execution environment: its presence is the cold start.
type Report struct {
	RequestID      string        `json:"request_id"`
	Duration       time.Duration `json:"duration_ns"`
	BilledDuration time.Duration `json:"billed_duration_ns"`
	MemorySizeMB   int           `json:"memory_size_mb"`
	MaxMemoryMB    int           `json:"max_memory_used_mb"`
	// InitDuration is zero on a warm invocation.
	InitDuration time.Duration `json:"init_duration_ns,omitempty"`
	// Status is "timeout" or "error" when the invocation did not finish.
	Status string `json:"status,omitempty"`
}

// Cold reports whether the invocation ran an init: a cold start.
func (r Report) Cold() bool { return r.InitDuration > 0 }

// maxReportDuration bounds a parsed duration: Lambda's timeout is 15
// minutes; a larger figure is a corrupt or forged line, not Lambda's.
const maxReportDuration = time.Hour

// ParseReport returns the last REPORT line in a log tail (what Invoke with
// LogType=Tail returns, decoded) and whether there was one. Unknown fields
// and unparsable values are ignored: the function's own output shares the
// log and must not be able to break the figures of the platform.
func ParseReport(log string) (Report, bool) {
	var last string
	for line := range strings.Lines(log) {
		if strings.HasPrefix(line, "REPORT RequestId: ") {
			last = strings.TrimRight(line, "\r\n")
		}
	}
	if last == "" {
		return Report{}, false
	}
	var r Report
	for _, field := range strings.Split(last, "\t") {
		key, value, ok := strings.Cut(strings.TrimSpace(field), ": ")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch key {
		case "REPORT RequestId":
			r.RequestID = value
		case "Duration":
			r.Duration = ms(value)
		case "Billed Duration":
			r.BilledDuration = ms(value)
		case "Init Duration":
			r.InitDuration = ms(value)
		case "Memory Size":
			r.MemorySizeMB = mb(value)
		case "Max Memory Used":
			r.MaxMemoryMB = mb(value)
		case "Status":
			r.Status = value
		}
	}
	return r, true
}

// ms parses "12.34 ms"; anything else is zero.
func ms(s string) time.Duration {
	num, ok := strings.CutSuffix(s, " ms")
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > float64(maxReportDuration/time.Millisecond) {
		return 0
	}
	return time.Duration(math.Round(f * float64(time.Millisecond)))
}

// mb parses "128 MB"; anything else is zero.
func mb(s string) int {
	num, ok := strings.CutSuffix(s, " MB")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n < 0 || n > 1<<20 {
		return 0
	}
	return n
}
