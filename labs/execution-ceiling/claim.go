package ceiling

import (
	"fmt"
	"net/http"
	"time"

	"github.com/computeladder/computeladder/deployers"
)

// Claim is the lab's claim checked against its own figures.
type Claim struct {
	// Holds is true when every check passed.
	Holds bool `json:"holds"`
	// Checks are the individual checks, in order.
	Checks []ClaimCheck `json:"checks"`
}

// ClaimCheck is one check of the claim.
type ClaimCheck struct {
	What string `json:"what"`
	OK   bool   `json:"ok"`
	// Saw is the figure the check looked at.
	Saw string `json:"saw"`
}

// Check tests the claim against r: the long job did not complete on the
// function (a 502 Sandbox.Timedout, or a job cancelled at the function's
// deadline; no line reached the client while it ran — the response is
// buffered) and ended near the timeout, and completed with every step
// on the container and the VM; the function's short job completed with its
// lines arriving only at the end, while the container streamed them.
func Check(r *Result) Claim {
	var c Claim
	add := func(ok bool, what, saw string) {
		c.Checks = append(c.Checks, ClaimCheck{What: what, OK: ok, Saw: saw})
	}
	byVariant := map[deployers.Variant]*Variant{}
	for i := range r.Variants {
		byVariant[r.Variants[i].Variant] = &r.Variants[i]
	}

	if fn := byVariant[deployers.Lambda]; fn == nil || fn.Long.Status == 0 {
		add(false, "the function answered the long job", "no answer: "+errOf(fn))
	} else {
		j := fn.Long
		// Two endings race at the timeout, as on Lambda: the platform
		// kills the invocation (502 Sandbox.Timedout, nothing returned),
		// or the function's own context deadline cancels the job first
		// and it returns what it had. Either way the job did not finish,
		// and nothing reached the client while it ran.
		add(!j.Done && (j.ErrorType == TimedOut || j.Status == http.StatusOK),
			"the function's long job did not complete (502 "+TimedOut+", or cancelled at its deadline)",
			fmt.Sprintf("%d %s, done=%t", j.Status, j.ErrorType, j.Done))
		add(j.ProgressLines == 0 || j.FirstLine >= j.Wall*9/10,
			"no progress reached the client while the function's job ran",
			fmt.Sprintf("%d progress lines, the first at %s of %s", j.ProgressLines, j.FirstLine.Round(time.Millisecond), j.Wall.Round(time.Millisecond)))
		// The gateway answers after the timeout plus the emulator's pause;
		// well before the job would have ended.
		lo, hi := r.FunctionTimeout, r.FunctionTimeout+time.Duration(float64(r.Job-r.FunctionTimeout)*0.9)
		add(j.Wall >= lo && j.Wall < hi,
			"the function failed at its timeout, not at the job's end",
			fmt.Sprintf("failed after %s (timeout %s, job %s)", j.Wall.Round(time.Millisecond), r.FunctionTimeout, r.Job))
		if s := fn.Short; s != nil {
			// Buffered: the first line arrives with the last one, after
			// the job's time, not a step (100 ms) after the start.
			add(s.Done && s.FirstLine >= time.Duration(s.Seconds*0.9*float64(time.Second)),
				"the function's job within its timeout completed, all its lines arriving at the end",
				fmt.Sprintf("done=%t, first of %d lines at %s of %s", s.Done, s.ProgressLines, s.FirstLine.Round(time.Millisecond), s.Wall.Round(time.Millisecond)))
		}
	}
	for _, v := range []deployers.Variant{deployers.Container, deployers.VM} {
		vr := byVariant[v]
		if vr == nil || vr.Long.Status == 0 {
			add(false, fmt.Sprintf("the %s answered the long job", v), "no answer: "+errOf(vr))
			continue
		}
		j := vr.Long
		add(j.Status == http.StatusOK && j.Done && j.LastStep == j.Steps && j.Steps == stepsOf(j.Seconds),
			fmt.Sprintf("the %s completed the long job: done=true after every step", v),
			fmt.Sprintf("%d, done=%t, last step %d of %d", j.Status, j.Done, j.LastStep, j.Steps))
		if v == deployers.Container {
			add(j.FirstLine > 0 && j.FirstLine < j.Wall/2,
				"the container streamed its progress as it happened",
				fmt.Sprintf("first line at %s of %s", j.FirstLine.Round(time.Millisecond), j.Wall.Round(time.Millisecond)))
		}
	}
	c.Holds = len(c.Checks) > 0
	for _, ch := range c.Checks {
		c.Holds = c.Holds && ch.OK
	}
	return c
}

func errOf(v *Variant) string {
	switch {
	case v == nil:
		return "not run"
	case v.Error != "":
		return v.Error
	case v.Long.Error != "":
		return v.Long.Error
	}
	return "no answer"
}
