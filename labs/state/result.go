package state

import (
	"fmt"
	"io"
	"strings"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/results"
)

// Result is everything one run saw; it is written as state.json.
type Result struct {
	results.Header
	Sequential int            `json:"sequential"`
	Workers    int            `json:"workers"`
	PerWorker  int            `json:"per_worker"`
	Function   PlatformResult `json:"function"`
	Container  PlatformResult `json:"container"`
	Claims     results.Claims `json:"claims"`
	results.FlatTeardown
}

// PlatformResult is one variant's counter through the three phases.
type PlatformResult struct {
	Variant deployers.Variant `json:"variant"`
	// Sequential are requests sent one after the other on a fresh deployment.
	Sequential []Request `json:"sequential"`
	// ResetBy is what replaced the instance; AfterReset the next request.
	ResetBy    string  `json:"reset_by"`
	AfterReset Request `json:"after_reset"`
	// Concurrent are Workers × PerWorker requests sent at once; Instances
	// groups them by instance; CounterSum adds up the instances' counters.
	Concurrent []Request  `json:"concurrent"`
	Instances  []Instance `json:"instances"`
	CounterSum int64      `json:"counter_sum"`
}

// Claim is one thing the lab teaches and whether this run showed it.
type Claim = results.Claim

// Claim names.
const (
	ClaimCountsUp            = "function-counts-up-on-one-instance"
	ClaimColdStartResets     = "function-cold-start-resets-counter"
	ClaimConcurrencySplits   = "function-concurrency-splits-counter"
	ClaimContainerOneCounter = "container-one-counter-under-concurrency"
	ClaimRedeployResets      = "container-redeploy-resets-counter"
)

// Claim returns the named claim (not holding when this run did not judge it).
func (r *Result) Claim(name string) Claim { return r.Claims.Get(name) }

// countsUp reports whether rs came from one instance counting 1, 2, 3, ...
func countsUp(rs []Request) bool {
	for i, r := range rs {
		if !r.OK() || r.InstanceID != rs[0].InstanceID || r.RequestsServed != int64(i+1) {
			return false
		}
	}
	return len(rs) > 0
}

// resets reports whether after is the first request of an instance other
// than the one that served before.
func resets(before []Request, after Request) bool {
	return len(before) > 0 && after.OK() && after.Cold && after.RequestsServed == 1 && after.InstanceID != before[0].InstanceID
}

func (r *Result) judge() {
	f, c := r.Function, r.Container
	sent := int64(len(f.Concurrent))
	most := 0
	for _, in := range f.Instances {
		most = max(most, in.Seen)
	}
	var cCounter int64
	if len(c.Instances) > 0 {
		cCounter = c.Instances[0].Counter
	}
	r.Claims = results.Claims{
		results.ClaimOf(ClaimCountsUp, countsUp(f.Sequential),
			fmt.Sprintf("%d sequential requests: requests_served %s", len(f.Sequential), served(f.Sequential))),
		results.ClaimOf(ClaimColdStartResets, resets(f.Sequential, f.AfterReset),
			fmt.Sprintf("after a %s: requests_served %d on %s (was %s)", f.ResetBy, f.AfterReset.RequestsServed, f.AfterReset.InstanceID, first(f.Sequential))),
		results.ClaimOf(ClaimConcurrencySplits, len(f.Instances) >= 2 && f.CounterSum == sent && int64(most) < sent,
			fmt.Sprintf("%d requests at %d at once: %d environments, counters %v summing to %d, the busiest saw %d", sent, r.Workers, len(f.Instances), counters(f.Instances), f.CounterSum, most)),
		results.ClaimOf(ClaimContainerOneCounter, len(c.Instances) == 1 && cCounter == int64(len(c.Sequential)+len(c.Concurrent)),
			fmt.Sprintf("%d requests at %d at once: %d instance(s), counter %d after %d sequential", len(c.Concurrent), r.Workers, len(c.Instances), cCounter, len(c.Sequential))),
		results.ClaimOf(ClaimRedeployResets, countsUp(c.Sequential) && resets(c.Sequential, c.AfterReset),
			fmt.Sprintf("after a %s: requests_served %d on %s (was %s)", c.ResetBy, c.AfterReset.RequestsServed, c.AfterReset.InstanceID, first(c.Sequential))),
	}
}

func served(rs []Request) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = fmt.Sprint(r.RequestsServed)
	}
	return strings.Join(s, ", ")
}

func first(rs []Request) string {
	if len(rs) == 0 {
		return "none"
	}
	return rs[0].InstanceID
}

// Markdown writes the run's short summary.
func Markdown(w io.Writer, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# State: run %s\n\n%s; %d sequential requests, then %d clients × %d requests at once.\n\n", r.RunID, r.Date, r.Sequential, r.Workers, r.PerWorker)
	b.WriteString("| | function | container |\n|---|---|---|\n")
	for _, row := range figures(r) {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	b.WriteString("\n")
	results.WriteClosing(&b, r.Claims, r.Teardown, len(r.Leftovers), r.TeardownError, r.RunID)
	_, err := io.WriteString(w, b.String())
	return err
}

// figures is the run's table, function beside container, row by row: the
// Markdown summary and report.html both show it.
func figures(r *Result) [][]string {
	f, c := r.Function, r.Container
	reset := func(p PlatformResult) string {
		return fmt.Sprintf("%d, %v, new instance %v", p.AfterReset.RequestsServed, p.AfterReset.Cold, p.AfterReset.InstanceID != first(p.Sequential))
	}
	return [][]string{
		{"sequential: requests_served", served(f.Sequential) + " (one instance)", served(c.Sequential) + " (one instance)"},
		{"reset by", f.ResetBy, c.ResetBy},
		{"next request: requests_served, cold", reset(f), reset(c)},
		{"concurrent: instances", fmt.Sprint(len(f.Instances)), fmt.Sprint(len(c.Instances))},
		{"concurrent: counters (requests seen)", instanceList(f.Instances), instanceList(c.Instances)},
		{"concurrent: requests sent", fmt.Sprint(len(f.Concurrent)), fmt.Sprint(len(c.Concurrent))},
	}
}

func instanceList(in []Instance) string {
	s := make([]string, len(in))
	for i, x := range in {
		s[i] = fmt.Sprintf("%d (%d)", x.Counter, x.Seen)
	}
	return strings.Join(s, ", ")
}
