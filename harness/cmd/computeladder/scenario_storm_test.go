package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// Bad flags are usage errors (exit 2) before anything is checked or made.
func TestScenarioStormFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--burst", "1"},
		{"--rounds", "0"},
		{"--pool", "0"},
		{"--capped", "12"}, // not below the burst
		{"--run-id", "Bad Id"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := newScenarioStormCmd()
			cmd.SetArgs(args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.ExecuteContext(context.Background())
			var ue usageError
			if !errors.As(err, &ue) || exitCode(err) != 2 {
				t.Errorf("err %v (exit %d), want a usage error", err, exitCode(err))
			}
		})
	}
}
