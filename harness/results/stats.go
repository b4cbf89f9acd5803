package results

import (
	"slices"
	"time"
)

// Stats is the median and spread of repeated measurements.
type Stats struct {
	N      int           `json:"n"`
	Median time.Duration `json:"median_ns"`
	Min    time.Duration `json:"min_ns"`
	Max    time.Duration `json:"max_ns"`
	// Q1 and Q3 bound the middle half of the samples.
	Q1 time.Duration `json:"q1_ns"`
	Q3 time.Duration `json:"q3_ns"`
}

// StatsOf summarises d (zero Stats for an empty slice). The median of an
// even count is the mean of the two middle values; quartiles are the medians
// of the lower and upper halves.
func StatsOf(d []time.Duration) Stats {
	if len(d) == 0 {
		return Stats{}
	}
	xs := slices.Clone(d)
	slices.Sort(xs)
	n := len(xs)
	s := Stats{N: n, Min: xs[0], Max: xs[n-1], Median: median(xs)}
	half := n / 2
	if n == 1 {
		s.Q1, s.Q3 = xs[0], xs[0]
	} else {
		s.Q1 = median(xs[:half])
		s.Q3 = median(xs[n-half:])
	}
	return s
}

func median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
