package load

import (
	"math"
	"slices"
	"time"
)

// Summary is the figures of a run. Latencies are from the intended send time.
//
// Scheduled, Requests and Answered tell a run that kept its schedule from
// one that did not: a generator or target that falls behind leaves requests
// of the schedule unsent, and those appear in no latency figure.
type Summary struct {
	// Scheduled is how many requests the schedule called for: one every
	// 1/Rate from the start to the end of Duration (or to when the run
	// was stopped).
	Scheduled int `json:"scheduled"`
	// Requests is how many were sent.
	Requests int `json:"requests"`
	// Answered is how many got an HTTP response, whatever its status.
	Answered int `json:"answered"`
	// Errors is how many did not succeed (no response, or not a 2xx).
	Errors int `json:"errors"`
	// AchievedRate is responses per second over the run's wall time (to
	// the last response).
	AchievedRate float64   `json:"achieved_rate"`
	Latency      Quantiles `json:"latency"`
}

// BehindRatio is how much of the asked rate a run must achieve to count as
// having kept its schedule: below it, the generator or the target fell
// behind, and the report says so.
const BehindRatio = 0.95

// Unsent is how many requests of the schedule were never sent.
func (s Summary) Unsent() int { return max(0, s.Scheduled-s.Requests) }

// FellBehind reports whether a run at rate achieved less than BehindRatio
// of it: the generator could not send, or the target could not answer, on
// schedule.
func (s Summary) FellBehind(rate int) bool {
	return rate > 0 && s.AchievedRate < BehindRatio*float64(rate)
}

// Quantiles are exact order statistics (nearest rank) of a set of durations.
// Not every one means something for every N: see Supports.
type Quantiles struct {
	// N is how many durations they are computed from.
	N    int           `json:"n"`
	Min  time.Duration `json:"min_ns"`
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p99_9_ns"`
	Max  time.Duration `json:"max_ns"`
	Mean time.Duration `json:"mean_ns"`
}

// MinSamples is the fewest samples that support the p-quantile (0 < p < 1)
// as a figure of its own: n ≥ 1/(1−p), so that at least one sample lies
// above it (p50 needs 2, p90 10, p99 100, p99.9 1,000). With fewer, the
// nearest-rank quantile is the maximum under another name: the p99.9 of
// 250 samples is their max. Reports show a quantile only where N supports it.
func MinSamples(p float64) int {
	if p <= 0 {
		return 1
	}
	if p >= 1 {
		return math.MaxInt
	}
	// 1/(1-0.999) is 1000.0000000000009 in floating point: a value that
	// close to a whole number is that number.
	v := 1 / (1 - p)
	if r := math.Round(v); math.Abs(v-r) < 1e-9*v {
		return int(r)
	}
	return int(math.Ceil(v))
}

// Supports reports whether q's sample count supports its p-quantile.
func (q Quantiles) Supports(p float64) bool { return q.N > 0 && q.N >= MinSamples(p) }

// Summarize computes a run's summary from its raw samples; elapsed is the
// wall time the run took. Latency quantiles cover successful requests only;
// failures are counted in Errors. Scheduled is left to the caller, who
// knows the schedule.
func Summarize(samples []Sample, elapsed time.Duration) Summary {
	s := Summary{Requests: len(samples)}
	lat := make([]time.Duration, 0, len(samples))
	for _, x := range samples {
		if x.Code != 0 {
			s.Answered++
		}
		if !x.OK() {
			s.Errors++
			continue
		}
		lat = append(lat, x.Latency)
	}
	if elapsed > 0 {
		s.AchievedRate = float64(s.Answered) / elapsed.Seconds()
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
		N:    len(xs),
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
