package load

import (
	"math"
	"slices"
	"time"
)

// Summary is the figures of a run. Latencies are from the intended send time.
type Summary struct {
	Requests int `json:"requests"`
	Errors   int `json:"errors"`
	// AchievedRate is responses per second over the whole run.
	AchievedRate float64   `json:"achieved_rate"`
	Latency      Quantiles `json:"latency"`
}

// Quantiles are exact order statistics (nearest rank) of a set of durations.
type Quantiles struct {
	Min  time.Duration `json:"min_ns"`
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p99_9_ns"`
	Max  time.Duration `json:"max_ns"`
	Mean time.Duration `json:"mean_ns"`
}

// Summarize computes a run's summary from its raw samples; elapsed is the
// wall time the run took. Latency quantiles cover successful requests only;
// failures are counted in Errors.
func Summarize(samples []Sample, elapsed time.Duration) Summary {
	s := Summary{Requests: len(samples)}
	lat := make([]time.Duration, 0, len(samples))
	for _, x := range samples {
		if !x.OK() {
			s.Errors++
			continue
		}
		lat = append(lat, x.Latency)
	}
	if elapsed > 0 {
		s.AchievedRate = float64(len(samples)) / elapsed.Seconds()
	}
	s.Latency = QuantilesOf(lat)
	return s
}

// QuantilesOf returns the exact quantiles of d (zero for an empty slice).
// It sorts a copy; d is left as it was.
func QuantilesOf(d []time.Duration) Quantiles {
	if len(d) == 0 {
		return Quantiles{}
	}
	xs := slices.Clone(d)
	slices.Sort(xs)
	var sum float64
	for _, x := range xs {
		sum += float64(x)
	}
	return Quantiles{
		Min:  xs[0],
		P50:  rank(xs, 0.50),
		P90:  rank(xs, 0.90),
		P99:  rank(xs, 0.99),
		P999: rank(xs, 0.999),
		Max:  xs[len(xs)-1],
		Mean: time.Duration(sum / float64(len(xs))),
	}
}

// Percentile returns the exact p-quantile (0 < p ≤ 1, nearest rank) of d.
func Percentile(d []time.Duration, p float64) (time.Duration, error) {
	if len(d) == 0 {
		return 0, ErrNoSamples
	}
	xs := slices.Clone(d)
	slices.Sort(xs)
	return rank(xs, p), nil
}

// rank is the nearest-rank quantile of sorted xs: the smallest value with at
// least p of the samples at or below it.
func rank(xs []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(xs)))) - 1
	i = max(0, min(i, len(xs)-1))
	return xs[i]
}
