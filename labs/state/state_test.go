package state

import (
	"testing"
)

func req(id string, n int64) Request { return Request{InstanceID: id, RequestsServed: n, Cold: n == 1} }

func TestJudge(t *testing.T) {
	seq := []Request{req("a", 1), req("a", 2), req("a", 3)}
	split := []Request{req("x", 1), req("y", 1), req("x", 2), req("y", 2)}
	tests := []struct {
		name string
		f, c PlatformResult
		want map[string]bool
	}{
		{"all hold",
			PlatformResult{Sequential: seq, AfterReset: req("b", 1), Concurrent: split},
			PlatformResult{Sequential: seq, AfterReset: req("c", 1), Concurrent: []Request{req("a", 4), req("a", 5)}},
			map[string]bool{ClaimCountsUp: true, ClaimColdStartResets: true, ClaimConcurrencySplits: true, ClaimContainerOneCounter: true, ClaimRedeployResets: true}},
		{"state survived the reset (shared store)",
			PlatformResult{Sequential: seq, AfterReset: req("b", 4), Concurrent: split},
			PlatformResult{Sequential: seq, AfterReset: req("a", 4)},
			map[string]bool{ClaimColdStartResets: false, ClaimRedeployResets: false}},
		{"one environment served everything",
			PlatformResult{Sequential: []Request{req("a", 1), req("b", 1)}, Concurrent: []Request{req("x", 1), req("x", 2)}},
			PlatformResult{Sequential: seq, Concurrent: split},
			map[string]bool{ClaimCountsUp: false, ClaimConcurrencySplits: false, ClaimContainerOneCounter: false}},
		{"counters do not add up (a reused environment)",
			PlatformResult{Sequential: seq, Concurrent: []Request{req("x", 7), req("y", 1)}},
			PlatformResult{},
			map[string]bool{ClaimConcurrencySplits: false, ClaimRedeployResets: false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.Instances, tt.c.Instances = instances(tt.f.Concurrent), instances(tt.c.Concurrent)
			for _, in := range tt.f.Instances {
				tt.f.CounterSum += in.Counter
			}
			r := &Result{Workers: 2, Function: tt.f, Container: tt.c}
			r.judge()
			for name, want := range tt.want {
				if got := r.Claim(name).Holds; got != want {
					t.Errorf("%s = %v, want %v (%s)", name, got, want, r.Claim(name).Detail)
				}
			}
		})
	}
}

func TestInstances(t *testing.T) {
	got := instances([]Request{req("x", 3), req("y", 1), {Error: "boom"}, req("x", 4)})
	want := []Instance{{"x", 2, 4}, {"y", 1, 1}}
	if len(got) != len(want) {
		t.Fatalf("instances = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("instance %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
