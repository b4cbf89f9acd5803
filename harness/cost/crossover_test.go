package cost

import (
	"fmt"
	"testing"
)

// stepByStep is Crossover's search as it was, one step at a time up to
// maxSteps: the reference the bisection must agree with.
func stepByStep(m *Model, o Option) (instances int, requests, beyond float64, never bool) {
	perStep := o.Capacity * SecondsPerMonth
	for k := 1; k <= maxSteps; k++ {
		if n := m.crossFlat(float64(k) * o.Monthly); n <= float64(k)*perStep {
			requests, instances = n, k
			break
		}
	}
	if instances == 0 {
		return 0, 0, 0, true
	}
	beyond = requests / SecondsPerMonth
	for j := instances + 1; j <= maxSteps && m.LambdaMonthly(float64(j-1)*perStep) < float64(j)*o.Monthly; j++ {
		beyond = m.crossFlat(float64(j)*o.Monthly) / SecondsPerMonth
	}
	return instances, requests, beyond, false
}

// TestCrossoverBisectsAsTheStepsWould: with a tiny capacity (0.001 req/s
// an instance) the free tier takes thousands of steps to use up, and an
// instance whose traffic Lambda bills exactly its price never crosses
// within maxSteps; the bisection finds what the step-by-step search found.
func TestCrossoverBisectsAsTheStepsWould(t *testing.T) {
	p := mustPricing(t, testPricing)
	for _, free := range []bool{true, false} {
		m, err := New(p, Config{Arch: X86, MemoryMB: 128, BilledMS: 10, FreeTier: free})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			capacity, share float64 // share: the instance's price against what Lambda bills for its traffic
		}{
			{0.001, 0.5}, {0.001, 0.99}, {0.001, 1}, {0.01, 0.9}, {10, 0.5}, {10, 0.999}, {1000, 0.3},
		} {
			t.Run(fmt.Sprintf("free tier %v, capacity %g, share %g", free, tc.capacity, tc.share), func(t *testing.T) {
				o := Option{Name: "tiny", Capacity: tc.capacity, Monthly: tc.share * m.PerRequest() * tc.capacity * SecondsPerMonth}
				k, n, beyond, never := stepByStep(m, o)
				c := m.Crossover(o)
				if never != (c.Never != "") || c.Instances != k || c.Requests != n || c.Beyond != beyond {
					t.Errorf("Crossover = %d instances, %g requests, beyond %g req/s, never %q; step by step: %d, %g, %g, never %v",
						c.Instances, c.Requests, c.Beyond, c.Never, k, n, beyond, never)
				}
				t.Logf("%d instances, beyond %g req/s, never %q", c.Instances, c.Beyond, c.Never)
			})
		}
	}
}
