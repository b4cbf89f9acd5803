package kit

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/qemu"
	"github.com/computeladder/computeladder/harness/targets"
)

// ArchHelp is the help of every --arch that picks what the artifacts are
// built for.
const ArchHelp = "architecture to build for and run: amd64 or arm64 (default: what runs natively — this machine's for the local microVM, the Docker engine's for containers and functions)"

// AccelHelp is the help of every --accel.
const AccelHelp = "microVM accelerator: auto (KVM on Linux or HVF on macOS if it really boots a guest of this machine's architecture, else TCG), kvm, hvf or tcg"

// Flags are the flags every lab command shares: the run id, the
// architecture, progress, and (WithResults) where the results go and what
// is printed (-o table|json); WithAccel adds the microVM's accelerator.
type Flags struct {
	RunID string
	Arch  string
	Accel string
	Quiet bool
	// Output is -o: OutputTable or OutputJSON.
	Output string
	Out    string

	accel bool
}

// FlagOption adds to or changes the flags Register registers.
type FlagOption func(*flagConfig)

type flagConfig struct {
	archHelp, jsonHelp string
	accel, results     bool
}

// WithAccel registers --accel (labs that deploy the microVM).
func WithAccel() FlagOption { return func(c *flagConfig) { c.accel = true } }

// WithArchHelp replaces --arch's help (e.g. to say what else it picks).
func WithArchHelp(help string) FlagOption { return func(c *flagConfig) { c.archHelp = help } }

// WithResults registers --out and -o; jsonHelp says what -o json prints.
func WithResults(jsonHelp string) FlagOption {
	return func(c *flagConfig) { c.results, c.jsonHelp = true, jsonHelp }
}

// Register registers the flags on fl.
func (f *Flags) Register(fl *pflag.FlagSet, opts ...FlagOption) {
	c := flagConfig{archHelp: ArchHelp}
	for _, o := range opts {
		o(&c)
	}
	fl.StringVar(&f.RunID, "run-id", "", "run id to label resources with (default: generated)")
	fl.StringVar(&f.Arch, "arch", "", c.archHelp)
	fl.BoolVarP(&f.Quiet, "quiet", "q", false, "print no progress, only the result")
	if c.accel {
		f.accel = true
		fl.StringVar(&f.Accel, "accel", "auto", AccelHelp)
	}
	if c.results {
		RegisterOutput(fl, &f.Output, "what to print: table (the summary) or json ("+c.jsonHelp+")")
		fl.StringVar(&f.Out, "out", "results", "directory for results/<run-id>/")
	}
}

// Validate checks the flags before anything is built or created; its
// errors are usage errors.
func (f *Flags) Validate() error {
	if f.RunID != "" {
		if err := deployers.ValidateRunID(f.RunID); err != nil {
			return Usage(err)
		}
	}
	if err := ValidArch(f.Arch); err != nil {
		return err
	}
	if f.Output != "" {
		if err := ValidOutput(f.Output); err != nil {
			return err
		}
	}
	if f.accel {
		return ValidAccel(f.Accel, f.Arch)
	}
	return nil
}

// ValidArch checks an --arch flag ("" is the native default).
func ValidArch(arch string) error {
	if arch == "" {
		return nil
	}
	if _, err := targets.ParseArch(arch); err != nil {
		return Usage(fmt.Errorf("--arch: %w", err))
	}
	return nil
}

// ValidAccel checks an --accel flag before anything is built: a hardware
// accelerator must be the one this machine offers for the guest (arch, ""
// for this machine's).
func ValidAccel(accel, arch string) error {
	a, err := qemu.ParseAccel(accel)
	if err != nil {
		return Usage(fmt.Errorf("--accel: %w", err))
	}
	if a == qemu.AccelAuto || a == qemu.AccelTCG {
		return nil
	}
	guest := runtime.GOARCH
	if arch != "" {
		guest, _ = targets.ParseArch(arch)
	}
	native, why := qemu.NativeAccel(runtime.GOOS, runtime.GOARCH, guest)
	if native == a {
		return nil
	}
	if native != "" {
		why = fmt.Sprintf("this machine offers %s, not %s", native.Label(), a.Label())
	}
	return Usage(fmt.Errorf("--accel %s: %s: use auto or tcg", a, why))
}

// TargetFlags are the flags of the commands that deploy on any target
// (run, up): Flags with --accel, where to deploy, and the cloud's settings.
type TargetFlags struct {
	Flags
	Target   string
	Endpoint string
	Region   string
	Ingress  string
	MemoryMB int
	Public   bool
	Yes      bool
}

// Register registers the flags on fl; opts go to Flags.Register.
func (f *TargetFlags) Register(fl *pflag.FlagSet, opts ...FlagOption) {
	f.Flags.Register(fl, append([]FlagOption{WithAccel()}, opts...)...)
	fl.StringVar(&f.Target, "target", "local", "where to deploy: local, localstack or aws")
	fl.StringVar(&f.Endpoint, "endpoint", "", "AWS-compatible endpoint URL (localstack and other emulators)")
	fl.IntVar(&f.MemoryMB, "memory", 0, "memory in MB for the VM, container or function (0: each backend's default)")
	fl.StringVar(&f.Region, "region", "", "AWS region (default: the standard chain's; us-east-1 on localstack)")
	fl.StringVar(&f.Ingress, "ingress", "", "on AWS, the CIDR the app port opens to (default: your public address /32)")
	fl.BoolVar(&f.Public, "public-url", false, "on AWS, make the Function URL public (auth NONE) instead of IAM-signed")
	fl.BoolVarP(&f.Yes, "yes", "y", false, "on --target aws, create the billed resources without asking")
}

// Validate checks the flags before anything is created.
func (f *TargetFlags) Validate() error {
	if err := f.Flags.Validate(); err != nil {
		return err
	}
	if err := ValidTarget(f.Target); err != nil {
		return err
	}
	if f.Endpoint != "" && f.Target == "local" {
		return Usage(errors.New("--endpoint goes with --target localstack or aws"))
	}
	if f.MemoryMB < 0 {
		return Usage(fmt.Errorf("--memory %d: must not be negative", f.MemoryMB))
	}
	if f.Ingress != "" {
		p, err := netip.ParsePrefix(f.Ingress)
		if err != nil {
			return Usage(fmt.Errorf("--ingress %q: use a CIDR such as 203.0.113.7/32", f.Ingress))
		}
		if p.Bits() == 0 {
			return Usage(fmt.Errorf("--ingress %s opens the app to the whole internet: name your own address range", f.Ingress))
		}
	}
	return nil
}

// ValidTarget checks a --target flag.
func ValidTarget(target string) error {
	switch target {
	case "local", "localstack", "aws":
		return nil
	}
	return Usage(fmt.Errorf("--target %q: use local, localstack or aws", target))
}

// Options turns the flags into the deployers' options (Validate first).
func (f *TargetFlags) Options() targets.Options {
	o := targets.Options{Accel: f.Accel, Endpoint: f.Endpoint, Region: f.Region, PublicURL: f.Public}
	if f.Ingress != "" {
		o.Ingress = netip.MustParsePrefix(f.Ingress)
	}
	return o
}

// Confirm shows what a run on real AWS will create and cost, and goes on
// only with --yes or a "yes" typed at a terminal.
func (f *TargetFlags) Confirm(cmd *cobra.Command, variants []deployers.Variant) error {
	if f.Target != "aws" || f.Endpoint != "" {
		return nil
	}
	// Price the architecture the run will build for.
	arches, err := targets.Arches(cmd.Context(), f.Target, variants, f.Arch)
	if err != nil {
		return err
	}
	goarch, err := targets.OneArch(arches)
	if err != nil {
		return Usage(err)
	}
	plan, err := targets.Plan(variants, f.Region, f.MemoryMB, goarch)
	if err != nil {
		return err
	}
	w := cmd.ErrOrStderr()
	fmt.Fprintln(w, plan)
	if f.Yes {
		return nil
	}
	in, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return Usage(errors.New("--target aws creates billed resources: pass --yes to go ahead"))
	}
	fmt.Fprint(w, "Create them? Type yes: ")
	line, _ := bufio.NewReader(in).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return Usage(errors.New("not confirmed: nothing created"))
	}
	return nil
}

// ParseVariants reads a variant argument: "vm", "container", "lambda" or
// "all".
func ParseVariants(arg string) ([]deployers.Variant, error) {
	if arg == "all" {
		return deployers.Variants, nil
	}
	v, err := deployers.ParseVariant(arg)
	if err != nil {
		return nil, Usage(fmt.Errorf("unknown variant %q: use vm, container, lambda or all", arg))
	}
	return []deployers.Variant{v}, nil
}
