package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/harness/targets"
)

// scenarios are the labs beyond `run`: one constructor per file, each a
// subcommand of `computeladder scenario`.
var scenarios = []func() *cobra.Command{
	newScenarioColdStartCmd,
	newScenarioCeilingCmd,
	newScenarioStateCmd,
	newScenarioStormCmd,
}

func newScenarioCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario <name>",
		Short: "Run one of the labs' scenarios (cold start, execution ceiling, state, ...)",
		Long: `Each scenario deploys what it needs locally, shows one claim of the
compute chapter happening, writes its figures to results/<run-id>/, and
tears everything down. The lab guides in labs/ explain each one.`,
	}
	for _, c := range scenarios {
		cmd.AddCommand(c())
	}
	return cmd
}

// emitScenario writes a scenario's result into out/runID with write, then
// prints it — as JSON with asJSON, else as its Markdown summary — and
// joins runErr with any error of its own.
func emitScenario[R any](cmd *cobra.Command, out, runID string, res *R, runErr error, asJSON bool,
	write func(string, *R) (string, error), markdown func(io.Writer, *R) error, say func(string, ...any)) error {
	if res == nil {
		return runErr
	}
	path, err := write(filepath.Join(out, runID), res)
	if err != nil {
		return errors.Join(runErr, err)
	}
	if asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	} else {
		err = markdown(cmd.OutOrStdout(), res)
	}
	say("results: %s (and its .md summary)", path)
	return errors.Join(runErr, err)
}

// prepareScenario builds the artifacts for arch ("" : what deps run
// natively, see targets.Arches), settles the run id (generating one when
// empty) and makes a second Ctrl-C sweep that run from deps.
func prepareScenario(cmd *cobra.Command, arch, runID string, say func(string, ...any), deps map[deployers.Variant]deployers.Deployer) (*artifact.Set, string, error) {
	var variants []deployers.Variant
	for _, v := range deployers.Variants {
		if deps[v] != nil {
			variants = append(variants, v)
		}
	}
	arches, err := targets.Arches(cmd.Context(), "local", variants, arch)
	if err != nil {
		return nil, "", err
	}
	one, err := targets.OneArch(arches)
	if err != nil {
		return nil, "", usagef(err)
	}
	say("building artifacts for linux/%s (cached when nothing changed)", one)
	arts, err := artifact.Build(cmd.Context(), artifact.Options{Arch: one})
	if err != nil {
		return nil, "", fmt.Errorf("build: %w", err)
	}
	if runID == "" {
		runID = newRunID()
	}
	forceSweep(&targets.Set{Target: "local", Deployers: deps}, runID, cmd.ErrOrStderr())
	return arts, runID, nil
}
