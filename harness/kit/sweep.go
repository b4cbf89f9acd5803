package kit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"time"

	"github.com/computeladder/computeladder/deployers"
)

// SweepOptions say what SweepLeftovers sweeps.
type SweepOptions struct {
	// RunID limits the sweep to one run (every run's when empty).
	RunID string
	// DryRun lists and removes nothing.
	DryRun bool
	// Force removes runs whose owner is alive too.
	Force bool
	// TTL: see deployers.OwnerLiveness (deployers.DefaultOwnerTTL when 0).
	TTL time.Duration
}

// SweepLeftovers is `computeladder sweep`: it removes what runs left
// behind, but never a run whose owner is alive — the process that created
// it still runs (another terminal's `up`, a lab), by the rule of
// deployers.OwnerLiveness — unless o.Force. A run is judged as a whole:
// when any of its resources, on any platform, has a live owner, none of
// them is removed, and w says which run was skipped and why. Then it
// sweeps the other runs one by one (by run id: a run that starts meanwhile
// is never caught by an every-run sweep), one line per resource on w. A
// platform that cannot be reached (say, Docker is stopped) is reported in
// the error and the others are still swept.
func SweepLeftovers(ctx context.Context, sweepers []Sweeper, o SweepOptions, w io.Writer) error {
	if o.Force {
		return Sweep(ctx, sweepers, o.RunID, o.DryRun, w)
	}
	if o.TTL <= 0 {
		o.TTL = deployers.DefaultOwnerTTL
	}
	now := time.Now()
	listed, err := List(ctx, sweepers, o.RunID)
	errs := []error{err}
	held := map[string]string{} // run id → why it is left alone
	count := map[string]int{}
	var order []string // run ids as first seen
	for _, rs := range listed {
		for _, r := range rs {
			if count[r.RunID] == 0 {
				order = append(order, r.RunID)
			}
			count[r.RunID]++
			if _, ok := held[r.RunID]; ok {
				continue
			}
			if l := deployers.OwnerLiveness(r.Owner, now, o.TTL); l.Alive {
				held[r.RunID] = l.Why
			}
		}
	}
	for _, id := range order {
		if why, ok := held[id]; ok {
			fmt.Fprintf(w, "skipped run %s (%d resources): %s; --force removes it\n", id, count[id], why)
		}
	}
	total := 0
	for i, s := range sweepers {
		var runs []string
		for _, r := range listed[i] {
			if _, ok := held[r.RunID]; !ok && !slices.Contains(runs, r.RunID) {
				runs = append(runs, r.RunID)
			}
		}
		for _, id := range runs {
			var rs []deployers.Resource
			var err error
			if o.DryRun {
				for _, r := range listed[i] {
					if r.RunID == id {
						rs = append(rs, r)
					}
				}
			} else {
				rs, err = s.Sweep(ctx, id)
			}
			n, err := swept(w, s, rs, err, o.DryRun)
			total += n
			errs = append(errs, err)
		}
	}
	switch {
	case len(order) == 0:
		fmt.Fprintln(w, "nothing to sweep")
	case total == 0 && len(held) > 0:
		fmt.Fprintf(w, "nothing swept: %d run(s) still owned by a live process\n", len(held))
	}
	return errors.Join(errs...)
}

// Sweep lists (dryRun) or removes what carries runID (every run's when
// empty) on each sweeper's platform, one line per resource on w, whoever
// owns it: for a run of this process (a second Ctrl-C, a test's cleanup)
// or a forced sweep; see SweepLeftovers. A platform that cannot be reached
// (say, Docker is stopped) is reported in the error and the others are
// still swept.
func Sweep(ctx context.Context, sweepers []Sweeper, runID string, dryRun bool, w io.Writer) error {
	var errs []error
	total := 0
	for _, s := range sweepers {
		sweep := s.Sweep
		if dryRun {
			sweep = s.List
		}
		rs, err := sweep(ctx, runID)
		n, err := swept(w, s, rs, err, dryRun)
		total += n
		errs = append(errs, err)
	}
	if total == 0 {
		fmt.Fprintln(w, "nothing to sweep")
	}
	return errors.Join(errs...)
}

// List lists what carries runID (every run's when empty) on each
// sweeper's platform, in the sweepers' order. A platform that cannot be
// reached is in the error, named, and the others are still listed.
func List(ctx context.Context, sweepers []Sweeper, runID string) ([][]deployers.Resource, error) {
	listed := make([][]deployers.Resource, len(sweepers))
	var errs []error
	for i, s := range sweepers {
		rs, err := s.List(ctx, runID)
		listed[i] = rs
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label(s), err))
		}
	}
	return listed, errors.Join(errs...)
}

// swept prints a line per resource s removed (rs), or would remove in a
// dry run, on w, and returns how many, with err named after s's platform.
func swept(w io.Writer, s Sweeper, rs []deployers.Resource, err error, dryRun bool) (int, error) {
	verb := "removed"
	if dryRun {
		verb = "would remove"
	}
	for _, r := range rs {
		fmt.Fprintf(w, "%s %s: %s\n", verb, short(s), r)
	}
	if err != nil {
		err = fmt.Errorf("%s: %w", label(s), err)
	}
	return len(rs), err
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
