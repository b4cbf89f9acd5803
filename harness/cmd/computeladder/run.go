package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/harness/results"
	"github.com/computeladder/computeladder/harness/targets"
	"github.com/computeladder/computeladder/labs/ladder"
)

// runFlags are the flags shared by run and up.
type runFlags struct {
	target   string
	endpoint string
	runs     int
	rate     int
	duration time.Duration
	warmup   time.Duration
	burstN   int
	burstDur time.Duration
	keep     time.Duration
	memoryMB int
	accel    string
	arch     string
	quiet    bool
	json     bool
	outDir   string
	runID    string
	region   string
	ingress  string
	public   bool
	yes      bool
}

func (f *runFlags) register(cmd *cobra.Command, measure bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "local", "where to deploy: local, localstack or aws")
	fl.StringVar(&f.endpoint, "endpoint", "", "AWS-compatible endpoint URL (localstack and other emulators)")
	fl.IntVar(&f.memoryMB, "memory", 0, "memory in MB for the VM, container or function (0: each backend's default)")
	fl.StringVar(&f.accel, "accel", "auto", accelHelp)
	fl.StringVar(&f.arch, "arch", "", archHelp)
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print no progress, only the result")
	fl.StringVar(&f.runID, "run-id", "", "run id to label resources with (default: generated)")
	fl.StringVar(&f.region, "region", "", "AWS region (default: the standard chain's; us-east-1 on localstack)")
	fl.StringVar(&f.ingress, "ingress", "", "on AWS, the CIDR the app port opens to (default: your public address /32)")
	fl.BoolVar(&f.public, "public-url", false, "on AWS, make the Function URL public (auth NONE) instead of IAM-signed")
	fl.BoolVarP(&f.yes, "yes", "y", false, "on --target aws, create the billed resources without asking")
	if !measure {
		return
	}
	fl.IntVar(&f.runs, "runs", 3, "fresh deployments (startup samples) and forced cold starts per variant")
	fl.IntVar(&f.rate, "rate", 50, "warm load: requests per second (open loop, constant rate)")
	fl.DurationVar(&f.duration, "duration", 5*time.Second, "warm load: how long (0 skips the load)")
	fl.DurationVar(&f.warmup, "warmup", time.Second, "warm-up at the same rate before the load, excluded from the figures")
	fl.IntVar(&f.burstN, "burst-clients", 10, "scaling burst: concurrent clients, each sending back to back (closed loop)")
	fl.DurationVar(&f.burstDur, "burst-duration", 3*time.Second, "scaling burst: how long, after the warm load (0 skips the burst and the scale to zero)")
	fl.DurationVar(&f.keep, "keep-alive", 2*time.Second, "local function: how long an idle execution environment stays warm (Lambda keeps them minutes; shortened so a run sees the scale to zero)")
	fl.BoolVar(&f.json, "json", false, "print results.json to stdout instead of the report (the raw samples stay in their files beside it)")
	fl.StringVar(&f.outDir, "out", "results", "directory for results/<run-id>/")
}

// validate checks the flags before anything is created.
func (f *runFlags) validate() error {
	if f.runID != "" {
		if err := deployers.ValidateRunID(f.runID); err != nil {
			return usagef(err)
		}
	}
	if err := validArch(f.arch); err != nil {
		return err
	}
	if err := validAccel(f.accel, f.arch); err != nil {
		return err
	}
	switch f.target {
	case "local", "localstack", "aws":
	default:
		return usagef(fmt.Errorf("--target %q: use local, localstack or aws", f.target))
	}
	if f.endpoint != "" && f.target == "local" {
		return usagef(errors.New("--endpoint goes with --target localstack or aws"))
	}
	if f.memoryMB < 0 {
		return usagef(fmt.Errorf("--memory %d: must not be negative", f.memoryMB))
	}
	if f.ingress != "" {
		p, err := netip.ParsePrefix(f.ingress)
		if err != nil {
			return usagef(fmt.Errorf("--ingress %q: use a CIDR such as 203.0.113.7/32", f.ingress))
		}
		if p.Bits() == 0 {
			return usagef(fmt.Errorf("--ingress %s opens the app to the whole internet: name your own address range", f.ingress))
		}
	}
	return nil
}

// options turns the flags into the deployers' options (validate first).
func (f *runFlags) options() targets.Options {
	o := targets.Options{Accel: f.accel, Endpoint: f.endpoint, Region: f.region, PublicURL: f.public, KeepAlive: f.keep}
	if f.ingress != "" {
		o.Ingress = netip.MustParsePrefix(f.ingress)
	}
	return o
}

// confirm shows what a run on real AWS will create and cost, and goes on
// only with --yes or a "yes" typed at a terminal.
func (f *runFlags) confirm(cmd *cobra.Command, variants []deployers.Variant) error {
	if f.target != "aws" || f.endpoint != "" {
		return nil
	}
	// Price the architecture the run will build for.
	arches, err := targets.Arches(cmd.Context(), f.target, variants, f.arch)
	if err != nil {
		return err
	}
	goarch, err := targets.OneArch(arches)
	if err != nil {
		return usagef(err)
	}
	plan, err := targets.Plan(variants, f.region, f.memoryMB, goarch)
	if err != nil {
		return err
	}
	w := cmd.ErrOrStderr()
	fmt.Fprintln(w, plan)
	if f.yes {
		return nil
	}
	in, ok := cmd.InOrStdin().(*os.File)
	if !ok || !isTerminal(in) {
		return usagef(errors.New("--target aws creates billed resources: pass --yes to go ahead"))
	}
	fmt.Fprint(w, "Create them? Type yes: ")
	line, _ := bufio.NewReader(in).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return usagef(errors.New("not confirmed: nothing created"))
	}
	return nil
}

// isTerminal reports whether f is a terminal someone can type at.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// parseVariants reads "vm", "container", "lambda" or "all".
func parseVariants(arg string) ([]deployers.Variant, error) {
	if arg == "all" {
		return deployers.Variants, nil
	}
	v, err := deployers.ParseVariant(arg)
	if err != nil {
		return nil, usagef(fmt.Errorf("unknown variant %q: use vm, container, lambda or all", arg))
	}
	return []deployers.Variant{v}, nil
}

func newRunID() string {
	return time.Now().UTC().Format("20060102-150405") + "-" + deployers.RandomHex(3)
}

func newRunCmd() *cobra.Command {
	var f runFlags
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
sample), report.md and report.html.

Exit codes: 0 success, 1 a variant failed, 2 bad input or a missing
prerequisite (nothing created).`,
		Example: `  computeladder run all
  computeladder run container --runs 5 --rate 200 --duration 10s
  computeladder run lambda --json > lambda.json`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"vm", "container", "lambda", "all"},
		RunE: func(cmd *cobra.Command, args []string) error {
			variants, err := parseVariants(args[0])
			if err != nil {
				return err
			}
			if err := f.validate(); err != nil {
				return err
			}
			if f.runs < 1 || f.runs > 100 {
				return usagef(fmt.Errorf("--runs %d: use 1 to 100", f.runs))
			}
			if f.duration < 0 || f.warmup < 0 {
				return usagef(errors.New("--duration and --warmup must not be negative"))
			}
			if f.duration > 0 && (f.rate < 1 || f.rate > 100_000) {
				return usagef(fmt.Errorf("--rate %d: use 1 to 100000 requests per second", f.rate))
			}
			if f.burstDur < 0 || f.burstDur > time.Minute {
				return usagef(fmt.Errorf("--burst-duration %s: use 0 (no burst) to 1m", f.burstDur))
			}
			if f.burstDur > 0 && (f.burstN < 1 || f.burstN > ladder.MaxBurstClients) {
				return usagef(fmt.Errorf("--burst-clients %d: use 1 to %d", f.burstN, ladder.MaxBurstClients))
			}
			if f.keep <= 0 {
				return usagef(fmt.Errorf("--keep-alive %s: must be positive", f.keep))
			}
			return runLab(cmd, &f, variants)
		},
	}
	f.register(cmd, true)
	return cmd
}

func runLab(cmd *cobra.Command, f *runFlags, variants []deployers.Variant) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	var prog *progress
	if !f.quiet {
		prog = newProgress(stderr)
	}
	say := func(format string, a ...any) {
		if prog != nil {
			prog.printf(format, a...)
		}
	}
	if err := f.confirm(cmd, variants); err != nil {
		return err
	}
	set, err := targets.Open(ctx, f.target, variants, f.options())
	if err != nil {
		return err
	}
	defer set.Close()

	arches, err := targets.Arches(ctx, f.target, variants, f.arch)
	if err != nil {
		return err
	}
	say("building artifacts for %s (cached when nothing changed)", describeArches(arches))
	arts, err := buildArtifacts(ctx, arches)
	if err != nil {
		return err
	}
	runID := f.runID
	if runID == "" {
		runID = newRunID()
	}
	say("run %s: %d run(s) per variant, load %d req/s for %s", runID, f.runs, f.rate, f.duration)
	forceSweep(set, runID, stderr)

	cfg := ladder.Config{
		RunID: runID, Target: f.target, Variants: variants, Deployers: set.Deployers,
		Spec:      deployers.Spec{Artifacts: arts[variants[0]], MemoryMB: f.memoryMB},
		Artifacts: arts,
		Runs:      f.runs, Rate: f.rate, Duration: f.duration, Warmup: f.warmup,
		BurstClients: f.burstN, BurstDuration: f.burstDur,
		Check: ladder.BehaviourTable(),
	}
	if prog != nil {
		cfg.Observer = prog
	}
	run, runErr := ladder.Run(ctx, cfg)
	if run == nil {
		return runErr
	}
	for i := range run.Variants {
		v := run.Variants[i].Variant
		run.Variants[i].ArtifactBytes = artifactSize(v, arts[v])
	}
	prices, err := cost.Default()
	if err == nil {
		err = cost.Ladder(run, prices)
	}
	if err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("cost of the ladder: %w", err))
	}
	dir := filepath.Join(f.outDir, runID)
	if err := writeReports(dir, run); err != nil {
		return errors.Join(runErr, err)
	}
	out := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(run.Document()); err != nil {
			return errors.Join(runErr, err)
		}
	} else {
		if err := report.Markdown(out, run); err != nil {
			return errors.Join(runErr, err)
		}
	}
	say("results: %s (report.md, report.html)", filepath.Join(dir, "results.json"))
	return runErr
}

// artifactSize is what a variant ships: the VM binary (the whole initramfs
// but for the kernel), the container binary (the whole FROM scratch
// image), or function.zip.
func artifactSize(v deployers.Variant, a *artifact.Set) int64 {
	if a == nil {
		return 0
	}
	p := map[deployers.Variant]string{deployers.VM: a.VMBinary, deployers.Container: a.ContainerBinary(), deployers.Function: a.FunctionZip}[v]
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// writeReports writes results.json, report.md and report.html into dir.
func writeReports(dir string, run *results.Run) error {
	if _, err := results.Write(dir, run); err != nil {
		return err
	}
	for name, render := range map[string]func(io.Writer, *results.Run) error{
		"report.md": report.Markdown, "report.html": report.HTML,
	} {
		if err := results.WriteFile(dir, name, func(w io.Writer) error { return render(w, run) }); err != nil {
			return err
		}
	}
	return nil
}
