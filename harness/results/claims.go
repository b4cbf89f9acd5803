package results

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Claim is one thing a lab teaches and whether a run's figures showed it.
type Claim struct {
	Name   string `json:"name"`
	Holds  bool   `json:"holds"`
	Detail string `json:"detail"`
}

// ClaimOf is the claim name with whether it holds and what the run saw.
func ClaimOf(name string, holds bool, detail string) Claim {
	return Claim{Name: name, Holds: holds, Detail: detail}
}

// Claims are a scenario's claims, in the order they were judged.
type Claims []Claim

// Get returns the claim named name; one this run did not judge does not hold.
func (cs Claims) Get(name string) Claim {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return Claim{Name: name, Detail: "not judged in this run"}
}

// Verdict is nil when every claim holds, else an error naming those that
// do not: what a scenario's command exits 1 with (kit.Scenario's Verdict).
func (cs Claims) Verdict() error {
	var failed []string
	for _, c := range cs {
		if !c.Holds {
			failed = append(failed, c.Name)
		}
	}
	if len(failed) > 0 {
		return errors.New("claims that did not hold: " + strings.Join(failed, ", "))
	}
	return nil
}

// WriteClosing ends a scenario's Markdown summary: its claims, then how
// teardown went (with the sweep command when it failed).
func WriteClosing(b *strings.Builder, cs Claims, teardown time.Duration, leftovers int, teardownErr, runID string) {
	b.WriteString("## Claims\n\n")
	for _, c := range cs {
		mark := "holds"
		if !c.Holds {
			mark = "**does not hold**"
		}
		fmt.Fprintf(b, "- %s: %s — %s\n", c.Name, mark, c.Detail)
	}
	fmt.Fprintf(b, "\nTeardown: %s, %d resource(s) left.\n", teardown.Round(time.Millisecond), leftovers)
	if teardownErr != "" {
		fmt.Fprintf(b, "Teardown error: %s (run `computeladder sweep --run-id %s`).\n", teardownErr, runID)
	}
}
