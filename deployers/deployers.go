// Package deployers defines the one interface through which the harness
// deploys an artifact to a backend, measures it through its HTTP endpoint and
// removes it again. Each backend lives in its own sub-package: qemu, docker
// and rie run locally, ec2, ecs and awslambda on AWS or an AWS-compatible
// endpoint (configured by awsenv). The harness measures through this
// package's types. A backend never imports another: what the backends on a
// Docker engine share is in deployers/internal/engine.
//
// Every resource a backend creates carries the run id, as the Docker label
// LabelRunID or the AWS tag TagRunID, so that Teardown and Sweep find it from
// the platform itself and never depend only on what a process holds in memory.
//
// What another package relies on is a typed field of Deployment or Info
// (NotMeasured, MemoryMB, Accel, StartupFrom, ...) or an exported constant.
// Deployment.Details is for display only: outside the backend that wrote
// it, no code reads a value from it by key (a test keeps it so).
package deployers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/computeladder/computeladder/deployers/artifact"
)

// Labels and tags carried by every resource a deployer creates.
const (
	// LabelRunID is the Docker label (and the key in state files) holding the run id.
	LabelRunID = "computeladder.run-id"
	// LabelVariant is the Docker label holding the variant (vm, container, lambda).
	LabelVariant = "computeladder.variant"
	// TagRunID is the AWS tag key holding the run id.
	TagRunID = "computeladder:run-id"
)

// PhaseFirst200 is the last phase of every startup that reached the app:
// the first HTTP 200 from GET /healthz. A deployment without it (an
// emulator that only records resources) is sent no request.
const PhaseFirst200 = "first-200"

// Variant is a rung of the ladder.
type Variant string

// The three variants of the one app.
const (
	VM        Variant = "vm"
	Container Variant = "container"
	Lambda    Variant = "lambda"
)

// Variants lists the variants in ladder order.
var Variants = []Variant{VM, Container, Lambda}

// ParseVariant accepts "vm", "container" or "lambda".
func ParseVariant(s string) (Variant, error) {
	for _, v := range Variants {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown variant %q: use vm, container or lambda", s)
}

// Deployer deploys one variant to one backend.
//
// Deploy returns the deployment together with any error: when it fails half
// way the returned deployment describes what was created, so that the caller
// can always pass it to Teardown. Teardown is idempotent, accepts nil, treats
// resources that are already gone as removed and joins the errors of its steps.
type Deployer interface {
	// Info describes the backend and what it can do.
	Info() Info
	// Deploy creates the deployment and waits until GET /healthz answers 200
	// or ctx (or Spec.ReadyTimeout) ends.
	Deploy(ctx context.Context, spec Spec) (*Deployment, error)
	// Teardown removes everything the deployment created.
	Teardown(ctx context.Context, d *Deployment) error
	// List returns the resources that carry runID; an empty runID lists every
	// run's resources.
	List(ctx context.Context, runID string) ([]Resource, error)
	// Sweep removes the resources that carry runID (every run's when empty)
	// and returns what it removed.
	Sweep(ctx context.Context, runID string) ([]Resource, error)
}

// ColdStarter is implemented by deployers that can make the next request land
// on a fresh execution environment without redeploying (e.g. a function
// gateway that retires its warm environments). Others force a cold start by
// tearing down and deploying again.
type ColdStarter interface {
	ForceColdStart(ctx context.Context, d *Deployment) error
}

// Watcher is implemented by deployers that can tell, cheaply and without
// sending the app a request, that a deployment has died (its QEMU process
// exited, its container stopped or was removed): `computeladder up` asks
// it every second, so that a killed deployment is reported instead of
// waited on silently.
type Watcher interface {
	// Died returns nil while d runs, else why it stopped.
	Died(ctx context.Context, d *Deployment) error
}

// RunCache is implemented by deployers that can prepare once per run what
// every deployment of the run shares: an image built once and run many
// times, as a platform builds or pushes once. After Keep(runID), Deploy
// reuses what an earlier deployment of runID prepared from the same
// artifacts (found by their digest), and Teardown leaves it; Release
// removes it. The harness calls Release at the run's end — also after an
// error or Ctrl-C — before it checks that nothing is left; what carries the
// run id is still found by Sweep after a kill.
type RunCache interface {
	Keep(runID string)
	Release(ctx context.Context, runID string) error
}

// Info is a backend's capability description.
type Info struct {
	Name    string  // e.g. "docker", "rie", "qemu"
	Variant Variant // the variant it deploys
	// Target is "local" for the local backends; the cloud deployers report
	// awsenv.TargetOf their config: "aws", or "endpoint" for any custom
	// endpoint (LocalStack, moto, AWS_ENDPOINT_URL).
	Target string
	// ColdStartMethod says how ForceColdStart makes the next request cold.
	ColdStartMethod string
	// Description is a one-line, human description of the platform, e.g.
	// "local microVM (QEMU microvm, amd64 guest, TCG, 1 vCPU)".
	Description string
	// TeardownBudget is how long Teardown may need to remove everything
	// (0: the caller's default is enough). A caller that gives Teardown
	// less abandons what a longer wait would have removed: an EC2
	// instance takes minutes to terminate, and its security group can go
	// only after that.
	TeardownBudget time.Duration
}

// Spec says what to deploy and with which limits. Zero values take the
// backend's defaults.
type Spec struct {
	RunID     string
	Artifacts *artifact.Set
	// MemoryMB is the memory limit: the container's, the VM's, or the
	// function's memory size.
	MemoryMB int
	// CPUs is the CPU limit for containers and VMs (0: backend default).
	CPUs float64
	// Timeout is the function timeout (functions only).
	Timeout time.Duration
	// ReadyTimeout bounds the wait for the first HTTP 200 from /healthz.
	ReadyTimeout time.Duration
	// Env is passed to the app process.
	Env map[string]string
}

// Validate checks the fields every backend relies on.
func (s Spec) Validate() error {
	if err := ValidateRunID(s.RunID); err != nil {
		return err
	}
	if s.Artifacts == nil {
		return errors.New("spec: no artifacts: build them first (make build)")
	}
	if s.MemoryMB < 0 || s.CPUs < 0 || s.Timeout < 0 || s.ReadyTimeout < 0 {
		return errors.New("spec: memory, cpus and timeouts must not be negative")
	}
	return nil
}

var runIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// ValidateRunID accepts ids that are safe as Docker labels and names, AWS tag
// values and resource-name suffixes, and file names: lowercase letters,
// digits and dashes, at most 40 characters.
func ValidateRunID(id string) error {
	if !runIDPattern.MatchString(id) {
		return fmt.Errorf("run id %q: use 1-40 lowercase letters, digits and dashes", id)
	}
	return nil
}

// Deployment is a running deployment.
type Deployment struct {
	RunID   string
	Variant Variant
	Backend string // Info.Name of the deployer that made it
	// ID identifies the deployment to its backend (container id, VM id, ...).
	ID string
	// URL is the HTTP base URL the app answers on, without a trailing slash.
	URL string
	// Phases is the startup timeline, in order.
	Phases Timeline
	// StartupFrom names the phase startup is measured from: the phase
	// marked just before the call that asks the platform to run the
	// prepared artifact (docker create, the QEMU process, RunInstances,
	// RunTask, the first invoke of a new function environment). Every
	// backend exports it as its StartupOrigin constant. The phases before
	// it are preparation, which a real platform does ahead of time, once;
	// empty means the first phase.
	StartupFrom string
	// Accel is how a VM's CPU is provided where the backend chooses it
	// ("kvm", "hvf" or "tcg" for the local microVM); empty elsewhere.
	Accel string
	// Preparation names what the phases before StartupFrom did, e.g.
	// "image build" or "bucket + upload, security group"; the report
	// shows it beside the preparation's duration.
	Preparation string
	// NotMeasured says why the deployment was never seen to answer HTTP
	// (an emulator that only records resources), naming the phases it
	// cannot give; empty when the first HTTP 200 was seen. Such a
	// deployment is sent no request, and the timestamps it recorded are
	// not a startup: nothing of them is charted or tabled.
	NotMeasured string
	// MemoryMB is the memory the deployment got, defaults applied (the
	// function's memory size, the container's or the VM's limit); zero
	// where the backend does not say.
	MemoryMB int
	// Details are backend facts worth showing (e.g. "kernel": the path of
	// the VM's kernel), under keys the backend chooses: for display only,
	// never read by another package.
	Details map[string]string
	// Resources lists what was created, for teardown and reporting.
	Resources []Resource
	// State is backend-private; other packages must not touch it.
	State any
}

// Instance is one instance of a deployment that its platform scales by
// itself, e.g. a function's execution environment.
type Instance struct {
	ID string
	// Started is when the platform started it (the harness's clock).
	Started time.Time
	// Requests is how many requests it has served.
	Requests int
	// Retired is when the platform stopped it (zero while it runs and,
	// for a function on a platform that bills by the instance, is billed).
	Retired time.Time
}

// Resource is one thing a deployer created.
type Resource struct {
	Kind    string // e.g. "container", "image", "qemu-process", "ec2-instance"
	ID      string
	RunID   string
	Variant Variant
	// Owner is the resource's owner label (LabelOwner, TagOwner) as List
	// found it: see OwnerLiveness. Empty when the resource carries none.
	Owner string
}

// OwnedBy returns r with its owner label set (to what List found).
func (r Resource) OwnedBy(owner string) Resource { r.Owner = owner; return r }

func (r Resource) String() string { return r.Kind + " " + r.ID + " (run " + r.RunID + ")" }

// BuildTimeout bounds an image build that runs on after its caller gave up.
const BuildTimeout = 5 * time.Minute

// Detached runs f with a context that outlives ctx (bounded by
// BuildTimeout), and then reports ctx's error if ctx ended meanwhile. An
// engine finishes an image build even when the client hangs up, so a
// build cut short by Ctrl-C would leave an image that no teardown had
// seen; waiting for it lets the caller's teardown remove it.
func Detached(ctx context.Context, f func(context.Context) error) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), BuildTimeout)
	defer cancel()
	if err := f(dctx); err != nil {
		return err
	}
	return ctx.Err()
}
