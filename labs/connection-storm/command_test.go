package storm

import (
	"errors"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/kit/kittest"
)

// Bad flags are usage errors (exit 2) before anything is checked or made.
func TestCommandFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--burst", "1"},
		{"--rounds", "0"},
		{"--pool", "0"},
		{"--capped", "12"}, // not below the burst
		{"--run-id", "Bad Id"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, err := kittest.Execute(t, Lab().Command(), args...)
			var ue kit.UsageError
			if !errors.As(err, &ue) || kit.ExitCode(err) != 2 {
				t.Errorf("err %v (exit %d), want a usage error", err, kit.ExitCode(err))
			}
		})
	}
}
