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
	"github.com/computeladder/computeladder/harness/lab"
	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/harness/results"
	"github.com/computeladder/computeladder/harness/targets"
)

// runFlags are the flags shared by run and up.
type runFlags struct {
	target   string
	endpoint string
	runs     int
	rate     int
	duration time.Duration
	warmup   time.Duration
	memoryMB int
	accel    string
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
	fl.StringVar(&f.accel, "accel", "auto", "microVM accelerator: auto (KVM if it really boots, else TCG), kvm or tcg")
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
	switch f.accel {
	case "auto", "kvm", "tcg":
	default:
		return usagef(fmt.Errorf("--accel %q: use auto, kvm or tcg", f.accel))
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
	o := targets.Options{Accel: f.accel, Endpoint: f.endpoint, Region: f.region, PublicURL: f.public}
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
	plan, err := targets.Plan(variants, f.region)
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
(each a startup sample, deploy request → first HTTP 200, with its phases),
times the first request of each fresh environment (cold start; functions
also get --runs forced cold starts on new execution environments), sends
open-loop constant-rate load (--rate for --duration, after --warmup),
checks the app's behaviour table against the live deployment, and tears
everything down — also on error and on Ctrl-C (press it twice to stop
waiting; the run is then swept). Results go to results/<run-id>/:
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

	say("building artifacts (cached when nothing changed)")
	arts, err := artifact.Build(ctx, artifact.Options{})
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	runID := f.runID
	if runID == "" {
		runID = newRunID()
	}
	say("run %s: %d run(s) per variant, load %d req/s for %s", runID, f.runs, f.rate, f.duration)
	forceSweep(set, runID, stderr)

	cfg := lab.Config{
		RunID: runID, Target: f.target, Variants: variants, Deployers: set.Deployers,
		Spec: deployers.Spec{Artifacts: arts, MemoryMB: f.memoryMB},
		Runs: f.runs, Rate: f.rate, Duration: f.duration, Warmup: f.warmup,
		Check: lab.BehaviourTable(),
	}
	if prog != nil {
		cfg.Observer = prog
	}
	run, runErr := lab.Run(ctx, cfg)
	if run == nil {
		return runErr
	}
	sizes := artifactSizes(arts)
	for i := range run.Variants {
		run.Variants[i].ArtifactBytes = sizes[run.Variants[i].Variant]
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

// artifactSizes is what each variant ships: the VM binary (the whole
// initramfs but for the kernel), the container binary (the whole FROM
// scratch image), and function.zip.
func artifactSizes(a *artifact.Set) map[deployers.Variant]int64 {
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	return map[deployers.Variant]int64{
		deployers.VM:        size(a.VMBinary),
		deployers.Container: size(a.ContainerBinary()),
		deployers.Function:  size(a.FunctionZip),
	}
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
