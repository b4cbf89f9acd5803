package report

import (
	"fmt"
	"time"

	"github.com/computeladder/computeladder/harness/load"
)

// Warm-load figures as the reports show them. Every report (Markdown,
// HTML, compare) goes through these, so that a quantile the sample count
// does not support (load.MinSamples) is shown nowhere as a figure, and a
// run that fell behind its schedule is flagged everywhere.

// quantile renders the p-quantile v of q, or "—" with the sample count
// when that count does not support it: the p99.9 of 250 samples is only
// their max under another name.
func quantile(q load.Quantiles, p float64, v time.Duration) string {
	if !q.Supports(p) {
		return fmt.Sprintf("— (n=%d)", q.N)
	}
	return dur(v)
}

// warmRequests renders what the schedule called for and what came of it,
// e.g. "250 of 250 sent, 0 errors", or, when the run fell behind,
// "BEHIND: 17.0k/s of 30000/s; 64627 of 150000 never sent; 0 errors of 85373".
func warmRequests(res *load.Result) string {
	s := res.Summary
	if s.FellBehind(res.Rate) {
		return fmt.Sprintf("BEHIND: achieved %s of %d/s; %d of %d scheduled never sent; %d errors of %d sent",
			perSecond(s.AchievedRate), res.Rate, s.Unsent(), s.Scheduled, s.Errors, s.Requests)
	}
	return fmt.Sprintf("%d of %d sent, %d errors", s.Requests, s.Scheduled, s.Errors)
}

// behindNote explains a run that fell behind, or is "" for one that did not.
func behindNote(res *load.Result) string {
	s := res.Summary
	if !s.FellBehind(res.Rate) {
		return ""
	}
	return fmt.Sprintf("Fell behind the schedule: achieved %s, under %.0f %% of the %d/s asked. "+
		"The schedule called for %d requests, %d were sent (%d never were) and %d answered: "+
		"the generator or the target could not keep up, and the latencies of the requests never sent are in no figure. "+
		"Lower --rate, or give the target more CPU.",
		perSecond(s.AchievedRate), load.BehindRatio*100, res.Rate, s.Scheduled, s.Requests, s.Unsent(), s.Answered)
}

func perSecond(r float64) string { return fmt.Sprintf("%.1f/s", r) }
