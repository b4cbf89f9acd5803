package kit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/harness/targets"
)

// Session is a lab command's run once its flags are checked and its
// deployers open: the run id, the artifacts, and the progress printer.
type Session struct {
	RunID string
	// Artifacts is the artifacts of every variant when they share one
	// architecture (always, for a local lab: see StartLocal).
	Artifacts *artifact.Set
	// ByVariant is each variant's artifacts: the microVM may be built for
	// this machine's architecture and the container for the Docker
	// engine's.
	ByVariant map[deployers.Variant]*artifact.Set
	// Progress prints what happens (nil with --quiet: prints nothing).
	Progress *Progress

	cmd   *cobra.Command
	flags *Flags
}

// Logf prints one progress line (nothing with --quiet).
func (s *Session) Logf(format string, a ...any) { s.Progress.Printf(format, a...) }

// Start builds the artifacts of every variant deps deploy on target, for
// --arch or what runs natively (see targets.Arches), settles the run id
// (generated when --run-id is empty) and makes a second Ctrl-C sweep that
// run from deps and extra: what a lab starts besides deployments.
func (f *Flags) Start(cmd *cobra.Command, target string, deps []deployers.Deployer, extra ...Sweeper) (*Session, error) {
	return f.start(cmd, target, false, deps, extra)
}

// StartLocal is Start on the local target, for a lab whose variants share
// one set of artifacts: an --arch (or a native architecture) that the
// microVM and the Docker engine do not share is a usage error.
func (f *Flags) StartLocal(cmd *cobra.Command, deps []deployers.Deployer, extra ...Sweeper) (*Session, error) {
	return f.start(cmd, "local", true, deps, extra)
}

func (f *Flags) start(cmd *cobra.Command, target string, one bool, deps []deployers.Deployer, extra []Sweeper) (*Session, error) {
	ctx := cmd.Context()
	s := &Session{cmd: cmd, flags: f, RunID: f.RunID}
	if !f.Quiet {
		s.Progress = NewProgress(cmd.ErrOrStderr())
	}
	var variants []deployers.Variant
	for _, v := range deployers.Variants {
		for _, d := range deps {
			if d.Info().Variant == v {
				variants = append(variants, v)
				break
			}
		}
	}
	arches, err := targets.Arches(ctx, target, variants, f.Arch)
	if err != nil {
		return nil, err
	}
	_, mixed := targets.OneArch(arches)
	if one && mixed != nil {
		return nil, Usage(mixed)
	}
	s.Logf("building artifacts for %s (cached when nothing changed)", DescribeArches(arches))
	if s.ByVariant, err = BuildArtifacts(ctx, arches); err != nil {
		return nil, err
	}
	if mixed == nil && len(variants) > 0 {
		s.Artifacts = s.ByVariant[variants[0]]
	}
	if s.RunID == "" {
		s.RunID = NewRunID()
	}
	sweepers := make([]Sweeper, 0, len(deps)+len(extra))
	for _, d := range deps {
		sweepers = append(sweepers, d)
	}
	SweepOnSecondInterrupt(s.RunID, append(sweepers, extra...), cmd.ErrOrStderr())
	return s, nil
}

// Emit writes a lab's result into --out/<run-id>/ with write, prints it —
// as JSON with -o json, else as its Markdown summary — and joins runErr
// with any error of its own. A nil res (nothing was run) returns runErr.
func Emit[R any](s *Session, res *R, runErr error, write func(dir string, r *R) (string, error), markdown func(io.Writer, *R) error) error {
	if res == nil {
		return runErr
	}
	path, err := write(filepath.Join(s.flags.Out, s.RunID), res)
	if err != nil {
		return errors.Join(runErr, err)
	}
	err = Print(s, res, func(w io.Writer) error { return markdown(w, res) })
	s.Logf("results: %s (and its .md summary; report.html where the lab draws one)", path)
	return errors.Join(runErr, err)
}

// Print prints doc to the command's output as indented JSON with -o json,
// else what markdown writes.
func Print(s *Session, doc any, markdown func(io.Writer) error) error {
	return PrintOutput(s.cmd.OutOrStdout(), s.flags.Output, doc, markdown)
}

// NewRunID is a fresh run id: the UTC time and a random suffix.
func NewRunID() string {
	return time.Now().UTC().Format("20060102-150405") + "-" + deployers.RandomHex(3)
}

// BuildArtifacts builds the artifacts of each architecture that arches
// names, once per architecture, and returns them by variant.
func BuildArtifacts(ctx context.Context, arches map[deployers.Variant]string) (map[deployers.Variant]*artifact.Set, error) {
	byArch := map[string]*artifact.Set{}
	out := map[deployers.Variant]*artifact.Set{}
	for _, v := range deployers.Variants {
		a, ok := arches[v]
		if !ok {
			continue
		}
		if byArch[a] == nil {
			set, err := artifact.Build(ctx, artifact.Options{Arch: a})
			if err != nil {
				return nil, fmt.Errorf("build (%s): %w", a, err)
			}
			byArch[a] = set
		}
		out[v] = byArch[a]
	}
	return out, nil
}

// DescribeArches says what each variant is built for, e.g. "linux/arm64"
// or "linux/arm64 (vm), linux/amd64 (container, lambda)".
func DescribeArches(arches map[deployers.Variant]string) string {
	groups := map[string][]string{}
	for _, v := range deployers.Variants {
		if a, ok := arches[v]; ok {
			groups[a] = append(groups[a], string(v))
		}
	}
	if len(groups) == 1 {
		for a := range groups {
			return "linux/" + a
		}
	}
	var parts []string
	for a, vs := range groups {
		parts = append(parts, fmt.Sprintf("linux/%s (%s)", a, strings.Join(vs, ", ")))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
