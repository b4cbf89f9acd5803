package ladder

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/harness/results"
	"github.com/computeladder/computeladder/harness/targets"
)

// Lab is the ladder lab's command, `computeladder run`.
func Lab() kit.Lab {
	return kit.Lab{Name: "ladder", Command: Command, Needs: kit.Needs{Variants: deployers.Variants}}
}

// flags are run's: where and how to deploy (kit.TargetFlags), and what to
// measure.
type flags struct {
	kit.TargetFlags
	runs     int
	rate     int
	duration time.Duration
	warmup   time.Duration
	burstN   int
	burstDur time.Duration
	keep     time.Duration
	label    string
}

func (f *flags) register(cmd *cobra.Command) {
	f.TargetFlags.Register(cmd.Flags(), kit.WithResults("results.json; the raw samples stay in their files beside it"))
	fl := cmd.Flags()
	fl.IntVar(&f.runs, "runs", 3, "fresh deployments (startup samples) and forced cold starts per variant")
	fl.IntVar(&f.rate, "rate", 50, "warm load: requests per second (open loop, constant rate)")
	fl.DurationVar(&f.duration, "duration", 5*time.Second, "warm load: how long (0 skips the load)")
	fl.DurationVar(&f.warmup, "warmup", time.Second, "warm-up at the same rate before the load, excluded from the figures")
	fl.IntVar(&f.burstN, "burst-clients", 10, "scaling burst: concurrent clients, each sending back to back (closed loop)")
	fl.DurationVar(&f.burstDur, "burst-duration", 3*time.Second, "scaling burst: how long, after the warm load (0 skips the burst and the scale to zero)")
	fl.StringVar(&f.label, "label", "", "who ran it — a student's name or a group — recorded in results.json for compare (at most 64 characters, no control or invisible characters, no spaces around it)")
	fl.DurationVar(&f.keep, "keep-alive", 2*time.Second, "local function: how long an idle execution environment stays warm (Lambda keeps them minutes; shortened so a run sees the scale to zero)")
}

// validate checks the flags before anything is created.
func (f *flags) validate() error {
	if err := f.TargetFlags.Validate(); err != nil {
		return err
	}
	if err := results.ValidateLabel(f.label); err != nil {
		return kit.Usage(fmt.Errorf("--%w", err))
	}
	switch {
	case f.runs < 1 || f.runs > 100:
		return kit.Usage(fmt.Errorf("--runs %d: use 1 to 100", f.runs))
	case f.duration < 0 || f.warmup < 0:
		return kit.Usage(errors.New("--duration and --warmup must not be negative"))
	case f.duration > 0 && (f.rate < 1 || f.rate > 100_000):
		return kit.Usage(fmt.Errorf("--rate %d: use 1 to 100000 requests per second", f.rate))
	case f.burstDur < 0 || f.burstDur > time.Minute:
		return kit.Usage(fmt.Errorf("--burst-duration %s: use 0 (no burst) to 1m", f.burstDur))
	case f.burstDur > 0 && (f.burstN < 1 || f.burstN > MaxBurstClients):
		return kit.Usage(fmt.Errorf("--burst-clients %d: use 1 to %d", f.burstN, MaxBurstClients))
	case f.keep <= 0:
		return kit.Usage(fmt.Errorf("--keep-alive %s: must be positive", f.keep))
	}
	return nil
}

// Command is `computeladder run`.
func Command() *cobra.Command {
	var f flags
	cmd := &cobra.Command{
		Use:   "run <vm|container|lambda|all>",
		Short: "Deploy, measure startup, cold start and warm latency, tear down, report",
		Long: `Run builds the artifacts, then for each variant: deploys it --runs times
(each a startup sample: from the call that asks the platform to run the
prepared artifact to the first HTTP 200, with its phases; the image is
built once per run, before it, as preparation), times the first request
of each fresh environment (cold start; functions also get --runs forced
cold starts on new execution environments), sends open-loop
constant-rate load (--rate for --duration, after --warmup), then a
scaling burst (--burst-clients closed-loop clients for --burst-duration,
counting the instances that served it), checks the app's behaviour table
against the live deployment, waits for the keep-alive (--keep-alive for
the local function) and counts what still runs, prices the run's
workload on each variant's cloud counterpart (infra/pricing.json), and
tears everything down — also on error and on Ctrl-C (press it twice to
stop waiting; the run is then swept). Results go to results/<run-id>/:
results.json (the figures), warm-<variant>.samples.zst (every raw load
sample), report.md and report.html. --label NAME records who ran it (a
student's name or a group), so that an instructor can put a class's
results side by side with compare; the results also record the CPU
model, the Docker engine's version and each VM's accelerator.

Exit codes: 0 success, 1 a variant failed, 2 bad input or a missing
prerequisite (nothing created).`,
		Example: `  computeladder run all
  computeladder run container --runs 5 --rate 200 --duration 10s
  computeladder run lambda -o json > lambda.json
  computeladder run all --label "Ada Lovelace"`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"vm", "container", "lambda", "all"},
		RunE: func(cmd *cobra.Command, args []string) error {
			variants, err := kit.ParseVariants(args[0])
			if err != nil {
				return err
			}
			if err := f.validate(); err != nil {
				return err
			}
			return runLab(cmd, &f, variants)
		},
	}
	f.register(cmd)
	return cmd
}

func runLab(cmd *cobra.Command, f *flags, variants []deployers.Variant) error {
	ctx := cmd.Context()
	if err := f.Confirm(cmd, variants); err != nil {
		return err
	}
	opts := f.Options()
	opts.KeepAlive = f.keep
	set, err := targets.Open(ctx, f.Target, variants, opts)
	if err != nil {
		return err
	}
	defer set.Close()
	var deps []deployers.Deployer
	for _, v := range variants {
		deps = append(deps, set.Deployers[v])
	}
	s, err := f.Start(cmd, f.Target, deps)
	if err != nil {
		return err
	}
	s.Logf("run %s: %d run(s) per variant, load %d req/s for %s", s.RunID, f.runs, f.rate, f.duration)
	dockerVersion := targets.DockerVersion(ctx)

	cfg := Config{
		RunID: s.RunID, Target: f.Target, Variants: variants, Deployers: set.Deployers,
		Spec:      deployers.Spec{Artifacts: s.ByVariant[variants[0]], MemoryMB: f.MemoryMB},
		Artifacts: s.ByVariant,
		Runs:      f.runs, Rate: f.rate, Duration: f.duration, Warmup: f.warmup,
		BurstClients: f.burstN, BurstDuration: f.burstDur,
		Check:    BehaviourTable(),
		Observer: s.Progress,
	}
	run, runErr := Run(ctx, cfg)
	if run == nil {
		return runErr
	}
	run.Label, run.Machine.DockerVersion = f.label, dockerVersion
	for i := range run.Variants {
		v := run.Variants[i].Variant
		run.Variants[i].ArtifactBytes = artifactSize(v, s.ByVariant[v])
	}
	prices, err := cost.Default()
	if err == nil {
		err = cost.Ladder(run, prices)
	}
	if err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("cost of the ladder: %w", err))
	}
	dir := filepath.Join(f.Out, s.RunID)
	if err := report.Write(dir, run); err != nil {
		return errors.Join(runErr, err)
	}
	if err := kit.Print(s, run.Document(), func(w io.Writer) error { return report.Markdown(w, run) }); err != nil {
		return errors.Join(runErr, err)
	}
	s.Logf("results: %s (report.md, report.html)", filepath.Join(dir, "results.json"))
	return runErr
}

// artifactSize is what a variant ships: the VM binary (the whole initramfs
// but for the kernel), the container binary (the whole FROM scratch
// image), or function.zip.
func artifactSize(v deployers.Variant, a *artifact.Set) int64 {
	if a == nil {
		return 0
	}
	p := map[deployers.Variant]string{deployers.VM: a.VMBinary, deployers.Container: a.ContainerBinary(), deployers.Lambda: a.FunctionZip}[v]
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}
