// Package targets turns a target name (local, localstack or aws) into the
// deployers of each variant, after checking that what they need is
// there — so that a missing Docker or QEMU is one clear line before anything
// is created.
package targets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os/exec"
	"time"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/docker"
	"github.com/computeladder/computeladder/deployers/qemu"
	"github.com/computeladder/computeladder/deployers/rie"
)

// Names lists the targets.
var Names = []string{"local", "localstack", "aws"}

// PrereqError is a missing prerequisite: the message says what to install.
type PrereqError struct{ Msg string }

func (e *PrereqError) Error() string { return e.Msg }

// Set is the deployers of one target, with what must be closed after use.
type Set struct {
	Target    string
	Deployers map[deployers.Variant]deployers.Deployer
	closers   []io.Closer
}

// Close releases the deployers' clients.
func (s *Set) Close() error {
	if s == nil {
		return nil
	}
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Options tune the deployers.
type Options struct {
	Logger *slog.Logger
	// Accel is the microVM accelerator: auto, kvm or tcg.
	Accel string
	// KeepAlive is how long the local function's idle execution
	// environments stay warm (0: the backend's default).
	KeepAlive time.Duration
	// MaxConcurrency bounds the local function's execution environments
	// (0: the backend's default).
	MaxConcurrency int

	// Endpoint is an AWS-compatible endpoint (LocalStack's default when
	// empty on target localstack).
	Endpoint string
	// Region overrides the AWS region of the standard chain.
	Region string
	// PublicURL makes the Function URL public (auth NONE) instead of IAM.
	PublicURL bool
	// Ingress is the address range the app port opens to on AWS (default:
	// the caller's public address /32).
	Ingress netip.Prefix
}

// Open checks the prerequisites of variants on target and returns their
// deployers.
func Open(ctx context.Context, target string, variants []deployers.Variant, opts Options) (*Set, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	switch target {
	case "local":
	case "localstack", "aws":
		return openCloud(ctx, target, variants, opts)
	default:
		return nil, fmt.Errorf("unknown target %q: use local, localstack or aws", target)
	}
	if err := CheckLocal(ctx, variants); err != nil {
		return nil, err
	}
	return openLocal(target, variants, opts)
}

// Local checks what the local deployer of v needs and opens it with opts:
// how a lab gets a deployer with settings of its own (the function's
// keep-alive or concurrency limit). Close it with Close.
func Local(ctx context.Context, v deployers.Variant, opts Options) (deployers.Deployer, error) {
	if err := CheckLocal(ctx, []deployers.Variant{v}); err != nil {
		return nil, err
	}
	d, err := newLocal(v, opts)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return d, nil
}

// LocalAs is Local for a lab that needs more of the deployer than
// deployers.Deployer: T, e.g. a function deployer that forces cold starts.
func LocalAs[T deployers.Deployer](ctx context.Context, v deployers.Variant, opts Options) (T, error) {
	var zero T
	d, err := Local(ctx, v, opts)
	if err != nil {
		return zero, err
	}
	t, ok := d.(T)
	if !ok {
		_ = Close(d)
		return zero, fmt.Errorf("the local %s deployer (%s) is not a %T", v, d.Info().Name, (*T)(nil))
	}
	return t, nil
}

// Close releases the clients of deps (nil-safe); a deployer that holds
// none has nothing to close.
func Close(deps ...deployers.Deployer) error {
	var errs []error
	for _, d := range deps {
		if c, ok := d.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// openLocal builds the local deployers of variants.
func openLocal(target string, variants []deployers.Variant, opts Options) (*Set, error) {
	s := &Set{Target: target, Deployers: map[deployers.Variant]deployers.Deployer{}}
	for _, v := range variants {
		d, err := newLocal(v, opts)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.Deployers[v] = d
		if c, ok := d.(io.Closer); ok {
			s.closers = append(s.closers, c)
		}
	}
	return s, nil
}

func newLocal(v deployers.Variant, opts Options) (deployers.Deployer, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	switch v {
	case deployers.VM:
		var qopts []qemu.Option
		qopts = append(qopts, qemu.WithLogger(opts.Logger))
		if opts.Accel != "" {
			qopts = append(qopts, qemu.WithAccel(qemu.Accel(opts.Accel)))
		}
		return qemu.New(qopts...)
	case deployers.Container:
		return docker.New(docker.WithLogger(opts.Logger))
	case deployers.Lambda:
		ropts := []rie.Option{rie.WithLogger(opts.Logger)}
		if opts.KeepAlive > 0 {
			ropts = append(ropts, rie.WithKeepAlive(opts.KeepAlive))
		}
		if opts.MaxConcurrency > 0 {
			ropts = append(ropts, rie.WithMaxConcurrency(opts.MaxConcurrency))
		}
		return rie.New(ropts...)
	}
	return nil, fmt.Errorf("unknown variant %q", v)
}

// needs says whether variants need QEMU (the VM) and Docker (every other
// local variant builds an image or runs a container).
func needs(variants []deployers.Variant) (needQEMU, needDocker bool) {
	for _, v := range variants {
		if v == deployers.VM {
			needQEMU = true
		} else {
			needDocker = true
		}
	}
	return needQEMU, needDocker
}

// CheckLocal checks that Docker answers (every local variant builds an
// image or runs a container except the VM) and that the QEMU which runs
// this machine's guest is installed (the VM).
func CheckLocal(ctx context.Context, variants []deployers.Variant) error {
	needQEMU, needDocker := needs(variants)
	p := ThisPlatform()
	if needQEMU {
		bin, pkg, _ := qemu.QEMUBinary(p.Arch)
		if _, err := exec.LookPath(bin); err != nil {
			return missingQEMU(p, bin, pkg)
		}
	}
	if needDocker {
		if err := pingDocker(ctx); err != nil {
			return &PrereqError{fmt.Sprintf("Docker is not reachable (%v): %s", err, p.DockerInstall())}
		}
	}
	return nil
}

func pingDocker(ctx context.Context) error {
	e, err := docker.FindEngine()
	if err != nil {
		return err
	}
	c, err := e.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err = c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return fmt.Errorf("%s: %w", e, err)
	}
	return nil
}

// OpenForSweep returns every variant's deployer of target without checking
// local prerequisites: sweeping must work with whatever is still reachable.
// Cloud targets still need credentials.
func OpenForSweep(ctx context.Context, target string, opts Options) (*Set, error) {
	switch target {
	case "local":
		return openLocal(target, deployers.Variants, opts)
	case "localstack", "aws":
		if opts.Logger == nil {
			opts.Logger = slog.New(slog.DiscardHandler)
		}
		return openCloud(ctx, target, deployers.Variants, opts)
	}
	return nil, fmt.Errorf("unknown target %q: use local, localstack or aws", target)
}
