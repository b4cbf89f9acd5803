package localfriction

import (
	"testing"
	"time"
)

func TestParseReports(t *testing.T) {
	log := "START RequestId: a Version: $LATEST\n" +
		"REPORT RequestId: a\tInit Duration: 0.39 ms\tDuration: 136.01 ms\tBilled Duration: 137 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t\n" +
		"30 Nov 2026 09:45:38,323 [INFO] (rapid) INIT REPORT(durationMs: 130.400000)\n" +
		"REPORT RequestId: b\tDuration: 3.81 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB\tMax Memory Used: 17 MB\t\n" +
		"REPORT RequestId: c\tDuration: x ms\tMemory Size: 128 MB\tMax Memory Used: 17 MB\n" + // corrupt: skipped
		"REPORT RequestId: d\tDuration: 1 ms\tMemory Size: -1 MB\n" // corrupt: skipped
	got := parseReports(log)
	want := []Report{
		{InitDuration: 390 * time.Microsecond, Duration: 136010 * time.Microsecond, MemorySizeMB: 128, MaxMemoryUsedMB: 128},
		{Duration: 3810 * time.Microsecond, MemorySizeMB: 128, MaxMemoryUsedMB: 17},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("report %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if n := count(log, "REPORT RequestId"); n != 4 {
		t.Errorf("count = %d, want 4", n)
	}
}
