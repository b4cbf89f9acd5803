package kit

import (
	"errors"
	"strings"

	"github.com/computeladder/computeladder/harness/targets"
)

// UsageError is bad input on the command line: exit code 2, nothing created.
type UsageError struct{ error }

// Unwrap returns the error it marks as a usage error.
func (e UsageError) Unwrap() error { return e.error }

// Usage marks err as bad input on the command line.
func Usage(err error) error { return UsageError{err} }

// ExitCode maps an error to the process's exit code: 2 for bad input and
// missing prerequisites (nothing was created), 1 for anything else.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ue UsageError
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
