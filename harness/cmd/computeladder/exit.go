package main

import (
	"errors"
	"strings"

	"github.com/computeladder/computeladder/harness/targets"
)

// usageError is bad input on the command line: exit code 2, nothing created.
type usageError struct{ error }

func usagef(err error) error { return usageError{err} }

// exitCode maps an error to the process's exit code: 2 for bad input and
// missing prerequisites (nothing was created), 1 for anything else.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ue usageError
	var pe *targets.PrereqError
	if errors.As(err, &ue) || errors.As(err, &pe) {
		return 2
	}
	// cobra's own parse errors.
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "accepts ", "requires at least", "requires at most"} {
		if strings.HasPrefix(msg, p) {
			return 2
		}
	}
	return 1
}
