package deployers

import (
	"fmt"
	"strings"
	"time"
)

// Phase is a named moment of a startup, e.g. "create", "start", "first-200".
type Phase struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

// Timeline is a startup's phases in order. The first phase is the origin
// (the deploy request); every later phase is measured from it.
type Timeline []Phase

// Mark appends a phase at time at.
func (t *Timeline) Mark(name string, at time.Time) { *t = append(*t, Phase{Name: name, At: at}) }

// Since returns the time from the first phase to the named one, and whether
// the phase was seen.
func (t Timeline) Since(name string) (time.Duration, bool) {
	if len(t) == 0 {
		return 0, false
	}
	for _, p := range t {
		if p.Name == name {
			return p.At.Sub(t[0].At), true
		}
	}
	return 0, false
}

// Total is the time from the first to the last phase.
func (t Timeline) Total() time.Duration {
	if len(t) < 2 {
		return 0
	}
	return t[len(t)-1].At.Sub(t[0].At)
}

// String renders "create 0s → start 12ms → first-200 310ms".
func (t Timeline) String() string {
	var b strings.Builder
	for i, p := range t {
		if i > 0 {
			b.WriteString(" → ")
		}
		fmt.Fprintf(&b, "%s %s", p.Name, p.At.Sub(t[0].At).Round(time.Millisecond))
	}
	return b.String()
}

// From returns the phases from the named one on (all of t when the name is
// empty or absent).
func (t Timeline) From(name string) Timeline {
	for i, p := range t {
		if p.Name == name {
			return t[i:]
		}
	}
	return t
}
