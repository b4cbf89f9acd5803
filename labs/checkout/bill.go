package checkout

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/results"
)

// defaultFunctionMB is Lambda's default memory, where the deployment does
// not say.
const defaultFunctionMB = 128

// bill prices the month at the lab's rate: Lambda from the function's warm
// requests before the gap (their service times, each rounded up to the
// billing granularity, as cost.FromResults reads a ladder run), against as
// many Fargate tasks of the smallest size as the container's measured
// throughput says the rate needs.
func (s *session) bill(res *Result) error {
	c := s.cfg
	f := res.Function
	if f.Before.result == nil {
		return errors.New("bill: no warm traffic on the function")
	}
	run := &results.Run{RunID: c.RunID, Target: "local", Variants: []results.Variant{{
		Variant: deployers.Lambda, MemoryMB: f.MemoryMB,
		Warm: &results.Warm{Endpoint: "POST /checkout", Result: f.Before.result},
	}}}
	meas, err := cost.FromResults(run, c.Pricing.Lambda.BillingGranularityMS)
	if err != nil {
		return fmt.Errorf("bill: %w", err)
	}
	mb := cmp.Or(f.MemoryMB, defaultFunctionMB)
	m, err := cost.New(c.Pricing, cost.Config{Arch: c.Arch, MemoryMB: mb, BilledMS: meas.BilledMS, PublicIPv4: true, Capacity: res.Capacity})
	if err != nil {
		return fmt.Errorf("bill: %w", err)
	}
	var task *cost.Option
	for _, o := range m.AlwaysOn() {
		if strings.HasPrefix(o.Name, "fargate") {
			task = &o
		}
	}
	if task == nil {
		return errors.New("bill: the cost model has no Fargate option")
	}
	rate := float64(c.Rate)
	n := cost.RequestsPerMonth(rate)
	cr := m.Crossover(*task)
	var tb strings.Builder
	if err := cost.Table(&tb, m, cost.DefaultRates); err != nil {
		return fmt.Errorf("bill: %w", err)
	}
	res.Bill = Bill{
		Rate: rate, RequestsPerMonth: n,
		LambdaCounterpart: fmt.Sprintf("Lambda %d MB %s", mb, c.Arch),
		BilledMS:          meas.BilledMS,
		LambdaMonthly:     m.LambdaMonthly(n),
		AlwaysOn:          task.Name, AlwaysOnCapacity: task.Capacity,
		Instances:       cost.Instances(*task, rate),
		AlwaysOnMonthly: cost.AlwaysOnMonthly(*task, rate),
		Crossover:       cr.Rate, CrossoverNever: cr.Never, CrossoverText: cost.CrossoverText(cr),
		Table:      tb.String(),
		Assumption: res.Capacity.Assumption(),
		PricesAsOf: fmt.Sprintf("infra/pricing.json, queried %s (Lambda as of %s, Fargate as of %s)", c.Pricing.QueriedAt, c.Pricing.Lambda.AsOf, c.Pricing.Fargate.AsOf),
	}
	c.Logf("bill      %d req/s   Lambda %s a month (%.2f ms billed), %d × %s %s; crossover %s",
		c.Rate, cost.Dollars(res.Bill.LambdaMonthly), meas.BilledMS, res.Bill.Instances, task.Name, cost.Dollars(res.Bill.AlwaysOnMonthly), res.Bill.CrossoverText)
	return nil
}
