package rie

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseLog(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	tests := []struct {
		name string
		file string // testdata file, instead of log
		log  string
		want LogFacts
	}{
		{name: "empty", log: "", want: LogFacts{}},
		{
			name: "cold then warm",
			file: "testdata/cold_warm.log",
			want: LogFacts{
				InitReports:         []time.Duration{ms(66.705)},
				ReportInitDurations: []time.Duration{ms(0.10)},
				Reports:             3,
			},
		},
		{
			name: "timeout then re-init",
			file: "testdata/timeout.log",
			want: LogFacts{
				InitReports:         []time.Duration{ms(61.046), ms(53.386)},
				ReportInitDurations: []time.Duration{ms(0.21)},
				Reports:             3,
				Timeouts:            1,
				Errors:              []string{"errResetReceived"},
			},
		},
		{
			name: "bootstrap exits",
			file: "testdata/exit1.log",
			want: LogFacts{
				InitReports: []time.Duration{ms(5.216), ms(0.110), ms(2.013)},
				InitFailed:  true,
				Errors:      []string{"Runtime exited with error: exit status 1"},
			},
		},
		{
			name: "CRLF and interleaved streams",
			log:  "REPORT RequestId: a\tInit Duration: 1.50 ms\tDuration: 2 ms\r\nx INIT REPORT(durationMs: 3.25)\r\n",
			want: LogFacts{InitReports: []time.Duration{ms(3.25)}, ReportInitDurations: []time.Duration{ms(1.5)}, Reports: 1},
		},
		{
			name: "malformed figures are skipped",
			log: "INIT REPORT(durationMs: NaN)\nINIT REPORT(durationMs: -1)\nINIT REPORT(durationMs: 1e300)\n" +
				"INIT REPORT(durationMs: 7\nREPORT RequestId: b\tInit Duration: x ms\n",
			want: LogFacts{Reports: 1},
		},
		{
			name: "error without message is skipped",
			log:  "[ERROR] (rapid) Init failed InvokeID= error=\n",
			want: LogFacts{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := tt.log
			if tt.file != "" {
				b, err := os.ReadFile(tt.file)
				if err != nil {
					t.Fatal(err)
				}
				log = string(b)
			}
			got := ParseLog(log)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseLog:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseLog(f *testing.F) {
	for _, name := range []string{"testdata/cold_warm.log", "testdata/timeout.log", "testdata/exit1.log"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("INIT REPORT(durationMs: 1e9)\nREPORT RequestId: Init Duration: 0x10 ms")
	f.Fuzz(func(t *testing.T, log string) {
		got := ParseLog(log)
		// Every figure comes from its own marker, and is a sane duration.
		if n := strings.Count(log, "INIT REPORT(durationMs: "); len(got.InitReports) > n {
			t.Errorf("%d init reports from %d markers", len(got.InitReports), n)
		}
		if n := strings.Count(log, "REPORT RequestId: "); got.Reports > n || len(got.ReportInitDurations) > got.Reports {
			t.Errorf("%d reports (%d with init) from %d markers", got.Reports, len(got.ReportInitDurations), n)
		}
		for _, d := range append(got.InitReports, got.ReportInitDurations...) {
			if d < 0 || d > maxLogDuration {
				t.Errorf("duration %v out of range", d)
			}
		}
		if got.InitFailed && !strings.Contains(log, "INIT RTDONE(status: error)") {
			t.Error("init failure without its marker")
		}
		for _, e := range got.Errors {
			if e == "" || !strings.Contains(log, e) {
				t.Errorf("error %q is not from the log", e)
			}
		}
	})
}
