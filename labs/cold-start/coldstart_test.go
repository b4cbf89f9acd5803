package coldstart

import (
	"math"
	"testing"
	"time"

	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/load"
)

func TestWarmPoolCost(t *testing.T) {
	p, err := cost.Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		arch        cost.Arch
		memoryMB, k int
		warm        time.Duration
		provisioned float64 // $ per month
		ping        float64
		wantErr     bool
	}{
		// Provisioned concurrency as in infra/pricing.json:
		// 5 × 0.125 GB × $0.0000041667 × 2,628,000 s = $6.844.
		{"5 x 128 MB x86", cost.X86, 128, 5, 1500 * time.Microsecond, 6.8438, 5 * 8760 * (0.0000002 + 0.002*0.125*0.0000166667), false},
		{"1 x 1024 MB arm", cost.ARM, 1024, 1, 900 * time.Microsecond, 0.0000033334 * 2628000, 8760 * (0.0000002 + 0.001*0.0000133334), false},
		{"no environments", cost.X86, 128, 0, time.Millisecond, 0, 0, true},
		{"unpriced arch", cost.Arch("riscv64"), 128, 1, time.Millisecond, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := warmPoolCost(p, tt.arch, tt.memoryMB, tt.k, tt.warm)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if math.Abs(c.ProvisionedMonthly-tt.provisioned) > 0.001 {
				t.Errorf("provisioned = %.4f, want %.4f", c.ProvisionedMonthly, tt.provisioned)
			}
			if math.Abs(c.PingMonthly-tt.ping) > 1e-6 {
				t.Errorf("ping = %.6f, want %.6f", c.PingMonthly, tt.ping)
			}
			if c.ProvisionedAsOf != p.Lambda.Provisioned.AsOf || c.ProvisionedSource != p.Lambda.Provisioned.Source || c.ProvisionedSource == "" {
				t.Errorf("provisioned as of %q, source %q: want infra/pricing.json's provisioned_concurrency entry", c.ProvisionedAsOf, c.ProvisionedSource)
			}
		})
	}
}

func TestJudge(t *testing.T) {
	cold := BurstResult{Requests: make([]Request, 4), ColdStarts: 3, NewEnvironments: make([]NewEnv, 3),
		Latency: load.QuantilesOf([]time.Duration{time.Millisecond, 300 * time.Millisecond, 350 * time.Millisecond, 400 * time.Millisecond})}
	warm := BurstResult{Requests: make([]Request, 4),
		Latency: load.QuantilesOf([]time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 5 * time.Millisecond})}
	tests := []struct {
		name      string
		afterIdle Request
		cold, pre BurstResult
		want      map[string]bool
	}{
		{"all hold", Request{InstanceID: "b", Cold: true}, cold, warm,
			map[string]bool{ClaimIdleGoesCold: true, ClaimBurstScalesOut: true, ClaimPrewarmNoColds: true, ClaimPrewarmFasterSlowest: true}},
		{"same instance after idle", Request{InstanceID: "a"}, cold, warm,
			map[string]bool{ClaimIdleGoesCold: false}},
		{"burst served by one environment", Request{InstanceID: "b", Cold: true}, BurstResult{ColdStarts: 1, NewEnvironments: make([]NewEnv, 1)}, warm,
			map[string]bool{ClaimBurstScalesOut: false, ClaimPrewarmFasterSlowest: false}},
		{"cold start despite pre-warming", Request{InstanceID: "b", Cold: true}, cold, cold,
			map[string]bool{ClaimPrewarmNoColds: false, ClaimPrewarmFasterSlowest: false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Result{Idle: IdleResult{Warm: Request{InstanceID: "a"}, AfterIdle: tt.afterIdle}, ColdBurst: tt.cold, PrewarmedBurst: tt.pre}
			r.judge()
			for name, want := range tt.want {
				if got := r.Claim(name).Holds; got != want {
					t.Errorf("%s = %v, want %v (%s)", name, got, want, r.Claim(name).Detail)
				}
			}
		})
	}
}
