package kit

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestTogetherRunsAllAtOnceInOrder: every call is in flight before any
// returns (each waits until all n have started), and the results keep
// their index.
func TestTogetherRunsAllAtOnceInOrder(t *testing.T) {
	const n = 8
	var started atomic.Int32
	out := Together(n, func(i int) int {
		started.Add(1)
		deadline := time.Now().Add(5 * time.Second)
		for started.Load() < n && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if started.Load() < n {
			return -1
		}
		return i * i
	})
	for i, v := range out {
		if v != i*i {
			t.Errorf("out[%d] = %d, want %d (all %d in flight together, results in order)", i, v, i*i, n)
		}
	}
}
