package storm

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/results"
)

func round(created, refused, throttled int) Round {
	r := Round{Created: created, DBUnavailable: refused, Throttled: throttled}
	for range created + refused + throttled {
		r.Latencies = append(r.Latencies, time.Millisecond)
	}
	return r
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name  string
		c     Case
		claim string
		holds bool
	}{
		{"storm refused", Case{Name: CaseStorm, Environments: 12, PoolSize: 5}, ClaimStormRefused, true},
		{"storm without refusals", Case{Name: CaseStorm, Environments: 3, PoolSize: 5}, ClaimStormRefused, false},
		{"shared all created", Case{Name: CaseShared, PoolSize: 5}, ClaimSharedNoErrors, true},
		{"shared with a refusal", Case{Name: CaseShared, PoolSize: 5}, ClaimSharedNoErrors, false},
		{"capped throttles", Case{Name: CaseCapped, PoolSize: 5, MaxConcurrency: 3}, ClaimCappedThrottle, true},
		{"capped without throttling", Case{Name: CaseCapped, PoolSize: 5, MaxConcurrency: 3}, ClaimCappedThrottle, false},
		{"bouncer all created", Case{Name: CaseBouncer, PoolSize: 5, BouncerPool: 10}, ClaimBouncerFixes, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			switch {
			case c.Name == CaseStorm && tt.holds:
				c.add(round(4, 8, 0))
			case c.Name == CaseCapped && tt.holds:
				c.add(round(3, 0, 9))
			case c.Name == CaseCapped:
				c.add(round(12, 0, 0))
			case !tt.holds:
				c.add(round(11, boolInt(c.Name != CaseStorm), 0))
			default:
				c.add(round(12, 0, 0))
			}
			r := &Result{Postgres: Postgres{MaxConnections: 20, Reserved: 3, Available: 17}, Cases: []Case{c}}
			r.judge()
			if got := r.Claim(tt.claim); got.Holds != tt.holds {
				t.Errorf("claim %s holds=%v (%s), want %v", tt.claim, got.Holds, got.Detail, tt.holds)
			}
			if got := r.Claim(ClaimPoolOneFixes); got.Holds {
				t.Errorf("an unmeasured claim holds: %+v", got)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestCaseAdd(t *testing.T) {
	var c Case
	c.add(Round{Created: 2, DBUnavailable: 1, Latencies: []time.Duration{time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond}, ServerConnections: 7})
	c.add(Round{Throttled: 1, Latencies: []time.Duration{10 * time.Millisecond}, ServerConnections: 4})
	if c.Requests != 4 || c.Created != 2 || c.DBUnavailable != 1 || c.Throttled != 1 || c.PeakServerConnections != 7 || c.P50 != 2 || c.Max != 10 {
		t.Errorf("case %+v", c)
	}
}

func TestConfigRefusesMissingParts(t *testing.T) {
	tests := []Config{
		{RunID: "r1", DBHost: "172.17.0.1", DBNet: "172.17.0.0/16"},                                              // no deployers
		{RunID: "bad id!", Function: fakeDeployer{}, Container: fakeDeployer{}, DBHost: "h", DBNet: "n"},         // run id
		{RunID: "r1", Function: fakeDeployer{}, Container: fakeDeployer{}},                                       // no bridge
		{RunID: "r1", Function: fakeDeployer{}, Container: fakeDeployer{}, DBHost: "h", DBNet: "n", Fixes: true}, // no capped
		{RunID: "r1", Function: fakeDeployer{}, Container: fakeDeployer{}, DBHost: "h", DBNet: "n", Burst: 1},    // burst
	}
	for i, cfg := range tests {
		if res, err := Run(context.Background(), cfg); err == nil || res != nil {
			t.Errorf("config %d: Run = %v, %v: want an error and no result", i, res, err)
		}
	}
}

// fakeDeployer fails every call: Run must refuse a bad config before any.
type fakeDeployer struct{ deployers.Deployer }

func TestMarkdown(t *testing.T) {
	c := Case{Name: CaseBouncer, Variant: "lambda", PoolSize: 5, BouncerPool: 10, Environments: 12, WantedConnections: 60}
	c.add(round(12, 0, 0))
	r := &Result{Header: results.Header{RunID: "r1"}, Postgres: Postgres{20, 3, 17}, Rounds: 1, Burst: 12, Cases: []Case{c}}
	r.judge()
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**17 seats for the app**", "12 × 5 = 60 (→ 10 via PgBouncer)", ClaimBouncerFixes + ": holds"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}
