package kit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/computeladder/computeladder/deployers"
)

// Sweep lists (dryRun) or removes what carries runID (every run's when
// empty) on each sweeper's platform, one line per resource on w. A
// platform that cannot be reached (say, Docker is stopped) is reported in
// the error and the others are still swept.
func Sweep(ctx context.Context, sweepers []Sweeper, runID string, dryRun bool, w io.Writer) error {
	var errs []error
	total := 0
	for _, s := range sweepers {
		var rs []deployers.Resource
		var err error
		if dryRun {
			rs, err = s.List(ctx, runID)
		} else {
			rs, err = s.Sweep(ctx, runID)
		}
		verb := "removed"
		if dryRun {
			verb = "would remove"
		}
		for _, r := range rs {
			fmt.Fprintf(w, "%s %s: %s\n", verb, short(s), r)
		}
		total += len(rs)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label(s), err))
		}
	}
	if total == 0 {
		fmt.Fprintln(w, "nothing to sweep")
	}
	return errors.Join(errs...)
}

// short names what s sweeps in one word: a deployer's variant, else what
// s says it is (fmt.Stringer).
func short(s Sweeper) string {
	if d, ok := s.(deployers.Deployer); ok {
		return string(d.Info().Variant)
	}
	if n, ok := s.(fmt.Stringer); ok {
		return n.String()
	}
	return fmt.Sprintf("%T", s)
}

// label is short with a deployer's backend, e.g. "vm (qemu)".
func label(s Sweeper) string {
	if d, ok := s.(deployers.Deployer); ok {
		return fmt.Sprintf("%s (%s)", d.Info().Variant, d.Info().Name)
	}
	return short(s)
}

// secondInterrupt is what a second Ctrl-C does; see OnSecondInterrupt.
var secondInterrupt atomic.Pointer[func()]

// SecondInterrupt runs what the command running now set for a second
// Ctrl-C (nothing when it set nothing). The main function calls it; the
// first Ctrl-C cancels the command's context, which tears down.
func SecondInterrupt() {
	if f := secondInterrupt.Load(); f != nil {
		(*f)()
	}
}

// SweepOnSecondInterrupt makes a second Ctrl-C stop waiting for the
// teardown and sweep runID from sweepers instead, saying so on w.
func SweepOnSecondInterrupt(runID string, sweepers []Sweeper, w io.Writer) {
	f := func() {
		fmt.Fprintf(w, "computeladder: second interrupt: sweeping run %s\n", runID)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := Sweep(ctx, sweepers, runID, false, w); err != nil {
			fmt.Fprintf(w, "computeladder: sweep: %v (run `computeladder sweep --run-id %s` again)\n", err, runID)
		}
	}
	secondInterrupt.Store(&f)
}
