package awslambda

import (
	"strings"
	"testing"
	"time"
)

func TestParseReport(t *testing.T) {
	tests := []struct {
		name   string
		log    string
		want   Report
		wantOK bool
	}{
		{
			name: "cold",
			log: "START RequestId: 1a Version: $LATEST\n" +
				"REPORT RequestId: 1a\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 19 MB\tInit Duration: 72.10 ms\t\n",
			want:   Report{RequestID: "1a", Duration: 12340 * time.Microsecond, BilledDuration: 13 * time.Millisecond, MemorySizeMB: 128, MaxMemoryMB: 19, InitDuration: 72100 * time.Microsecond},
			wantOK: true,
		},
		{
			name:   "warm has no init",
			log:    "REPORT RequestId: 2b\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 512 MB\tMax Memory Used: 20 MB\t",
			want:   Report{RequestID: "2b", Duration: 1500 * time.Microsecond, BilledDuration: 2 * time.Millisecond, MemorySizeMB: 512, MaxMemoryMB: 20},
			wantOK: true,
		},
		{
			name:   "timeout status",
			log:    "REPORT RequestId: 3c\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB\tStatus: timeout\n",
			want:   Report{RequestID: "3c", Duration: 3 * time.Second, BilledDuration: 3 * time.Second, MemorySizeMB: 128, MaxMemoryMB: 30, Status: "timeout"},
			wantOK: true,
		},
		{
			name: "last report wins",
			log: "REPORT RequestId: old\tDuration: 9.00 ms\tInit Duration: 50.00 ms\n" +
				"REPORT RequestId: new\tDuration: 1.00 ms\n",
			want:   Report{RequestID: "new", Duration: time.Millisecond},
			wantOK: true,
		},
		{
			name:   "app output mimicking a report is ignored unless it starts the line",
			log:    "level=info msg=\"REPORT RequestId: fake\tInit Duration: 1.00 ms\"\n",
			wantOK: false,
		},
		{
			name:   "garbage values are zero",
			log:    "REPORT RequestId: x\tDuration: NaN ms\tBilled Duration: -5 ms\tMemory Size: lots MB\tInit Duration: 1e300 ms\tMax Memory Used: 12 GB",
			want:   Report{RequestID: "x"},
			wantOK: true,
		},
		{name: "empty", log: "", wantOK: false},
		{name: "crlf", log: "REPORT RequestId: y\tDuration: 2.00 ms\r\n", want: Report{RequestID: "y", Duration: 2 * time.Millisecond}, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseReport(tt.log)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("ParseReport = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
			if got.Cold() != (tt.want.InitDuration > 0) {
				t.Errorf("Cold() = %v with InitDuration %s", got.Cold(), got.InitDuration)
			}
		})
	}
}

func FuzzParseReport(f *testing.F) {
	f.Add("REPORT RequestId: 1a\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 19 MB\tInit Duration: 72.10 ms\t\n")
	f.Add("START\nREPORT RequestId: \tDuration: 1e9 ms\n")
	f.Add("REPORT RequestId: z\tStatus: error\tInit Duration: -0 ms")
	f.Fuzz(func(t *testing.T, log string) {
		r, ok := ParseReport(log)
		if !ok {
			if r != (Report{}) {
				t.Errorf("no report but fields set: %+v", r)
			}
			if strings.Contains(log, "\nREPORT RequestId: ") || strings.HasPrefix(log, "REPORT RequestId: ") {
				t.Errorf("missed a REPORT line in %q", log)
			}
			return
		}
		for _, d := range []time.Duration{r.Duration, r.BilledDuration, r.InitDuration} {
			if d < 0 || d > maxReportDuration {
				t.Errorf("duration %s out of range in %+v", d, r)
			}
		}
		if r.MemorySizeMB < 0 || r.MaxMemoryMB < 0 {
			t.Errorf("negative memory in %+v", r)
		}
	})
}
