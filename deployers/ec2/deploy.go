package ec2

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// plan is everything Deploy looked up or checked before creating anything.
type plan struct {
	spec         deployers.Spec
	arch         types.ArchitectureValues
	binarySHA    string
	unitSHA      string
	env          []string
	instanceType string
	image        image
	net          network
	ingress      awsenv.Ingress
}

// Deploy uploads the artifacts, creates the security group and the instance
// and waits for GET /healthz to answer 200 (on an emulator: until the
// instance is running; see the package doc). Bad input and failed lookups
// are reported before anything is created. On any later failure Deploy
// removes what it created and returns the partial deployment with the
// error, so that a caller's Teardown is a harmless no-op.
func (d *Deployer) Deploy(ctx context.Context, spec deployers.Spec) (*deployers.Deployment, error) {
	t0 := time.Now()
	p, err := d.check(spec)
	if err != nil {
		return nil, fmt.Errorf("ec2 deploy: %w", err)
	}
	if err := d.lookup(ctx, &p); err != nil {
		return nil, fmt.Errorf("ec2 deploy: %w", err)
	}
	dep := &deployers.Deployment{
		RunID:   spec.RunID,
		Variant: deployers.VM,
		Backend: BackendName,
		// The instance type's memory; 0 for a type outside the lab's list
		// (WithInstanceType).
		MemoryMB: memoryOf(p.instanceType),
		Details: map[string]string{
			DetailAMI:           p.image.id,
			DetailAMISource:     p.image.source,
			DetailInstanceType:  p.instanceType,
			DetailRootVolume:    fmt.Sprintf("%d GiB %s, deleted with the instance", p.image.rootGiB, RootVolumeType),
			DetailVPC:           p.net.vpc,
			DetailIngress:       p.ingress.Prefix.String(),
			DetailIngressSource: p.ingress.Source,
			DetailTTL:           (time.Duration(ttlMinutes(d.ttl)) * time.Minute).String(),
			DetailIMDS:          "v2 required, hop limit 1",
			DetailEmulator:      strconv.FormatBool(d.emulator),
		},
	}
	dep.Phases.Mark(PhaseDeploy, t0)
	if err := d.deploy(ctx, p, dep); err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.teardownBudget())
		defer cancel()
		if terr := d.Teardown(cctx, dep); terr != nil {
			err = errors.Join(err, fmt.Errorf("clean up after failed deploy: %w: run sweep for run %s", terr, spec.RunID))
		}
		return dep, fmt.Errorf("ec2 deploy %s: %w", spec.RunID, err)
	}
	return dep, nil
}

// check validates the spec and the artifacts without calling AWS.
func (d *Deployer) check(spec deployers.Spec) (plan, error) {
	if err := spec.Validate(); err != nil {
		return plan{}, err
	}
	a := spec.Artifacts
	if a.VMBinary == "" || a.VMUnit == "" {
		return plan{}, errors.New("artifacts: no VM binary or unit: build them first (make build)")
	}
	for _, f := range []string{a.VMBinary, a.VMUnit} {
		st, err := os.Stat(f)
		if err != nil {
			return plan{}, fmt.Errorf("artifacts: %w: build them first (make build)", err)
		}
		if !st.Mode().IsRegular() || st.Size() == 0 {
			return plan{}, fmt.Errorf("artifacts: %s is not a non-empty file: build them again (make build)", f)
		}
	}
	p := plan{spec: spec}
	var err error
	if p.arch, err = ec2Arch(a.Arch); err != nil {
		return plan{}, err
	}
	if p.instanceType, err = d.chooseInstanceType(spec.MemoryMB, a.Arch); err != nil {
		return plan{}, err
	}
	if !d.emulator {
		if err := awsenv.CheckLabRegion(d.region); err != nil {
			return plan{}, err
		}
	}
	if _, ok := spec.Env["PORT"]; ok {
		// The security group and the waits use the unit's port.
		return plan{}, fmt.Errorf("environment: PORT is fixed at %d on EC2: leave it out", AppPort)
	}
	if p.env, err = systemdEnv(spec.Env); err != nil {
		return plan{}, err
	}
	if p.binarySHA, err = fileSHA256(a.VMBinary); err != nil {
		return plan{}, fmt.Errorf("artifacts: %w", err)
	}
	if p.unitSHA, err = fileSHA256(a.VMUnit); err != nil {
		return plan{}, fmt.Errorf("artifacts: %w", err)
	}
	return p, nil
}

// lookup finds the AMI, the default network and the ingress address; it
// creates nothing.
func (d *Deployer) lookup(ctx context.Context, p *plan) error {
	var err error
	if p.image, err = d.resolveImage(ctx, p.arch); err != nil {
		return err
	}
	if p.net, err = d.defaultNetwork(ctx); err != nil {
		return err
	}
	if p.ingress, err = d.resolveIngress(ctx); err != nil {
		return err
	}
	return nil
}

func (d *Deployer) deploy(ctx context.Context, p plan, dep *deployers.Deployment) error {
	runID := p.spec.RunID
	suffix := deployers.RandomHex(4)
	bucket := bucketName(runID, suffix)
	// Recorded as soon as it exists, before it is configured: a bucket
	// whose configuration failed is still removed. A name taken by someone
	// else is never recorded, so never deleted.
	created, err := d.createBucket(ctx, runID, bucket)
	if created {
		d.record(dep, KindBucket, bucket)
		dep.Details[DetailBucket] = bucket
	}
	if err != nil {
		return err
	}
	if err := d.upload(ctx, bucket, binaryKey, p.spec.Artifacts.VMBinary); err != nil {
		return err
	}
	if err := d.upload(ctx, bucket, unitKey, p.spec.Artifacts.VMUnit); err != nil {
		return err
	}
	userData, err := d.userData(ctx, p, bucket)
	if err != nil {
		return err
	}
	sg, err := awsenv.CreateSecurityGroup(ctx, d.ec2, securityGroup(runID, resourceName(runID, suffix), p.net.vpc, d.appPort, p.ingress.Prefix))
	if sg != "" {
		d.record(dep, KindSecurityGroup, sg)
	}
	if err != nil {
		return err
	}
	d.log.Info("ec2: launching", "run", runID, "ami", p.image.id, "type", p.instanceType, "ingress", p.ingress.Prefix)

	ready := p.spec.ReadyTimeout
	if ready == 0 {
		ready = DefaultReadyTimeout
	}
	prepared := time.Now()
	dep.Details[DetailPrepare] = prepared.Sub(dep.Phases[0].At).Round(time.Millisecond).String()
	dep.Phases.Mark(PhaseRunInstances, prepared)
	dep.StartupFrom, dep.Preparation = StartupOrigin, Preparation
	wctx, cancel := context.WithTimeout(ctx, ready)
	defer cancel()

	inst, subnet, err := d.runInstance(wctx, p, suffix, sg, userData)
	id := aws.ToString(inst.InstanceId)
	if id != "" {
		d.record(dep, KindInstance, id)
	}
	if err != nil {
		return err
	}
	dep.Phases.Mark(PhaseRunInstancesReturned, time.Now())
	dep.ID = id
	dep.Details[DetailSubnet] = aws.ToString(subnet.SubnetId)
	dep.Details[DetailZone] = aws.ToString(subnet.AvailabilityZone)

	running, err := d.waitRunning(wctx, id)
	if err != nil {
		return err
	}
	dep.Phases.Mark(PhaseRunning, running.at)
	ip := aws.ToString(running.inst.PublicIpAddress)
	dep.Details[DetailPublicIP] = ip
	if d.emulator {
		dep.NotMeasured = PhasePortOpen + ", " + PhaseFirst200 +
			": the emulator records the instance but boots nothing, and the address it reports is made up"
		return nil
	}
	if ip == "" {
		return fmt.Errorf("instance %s has no public address: check that the default subnet %s may assign public IPv4 addresses", id, aws.ToString(subnet.SubnetId))
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(d.appPort))
	alive := d.aliveCheck(wctx, id)
	open, err := d.waitPort(wctx, addr, p.ingress.Prefix.String(), alive)
	if err != nil {
		return err
	}
	dep.Phases.Mark(PhasePortOpen, open)
	url := "http://" + addr
	first, err := deployers.WaitReady(wctx, url+"/healthz", d.pollInterval/5, alive)
	if err != nil {
		return fmt.Errorf("wait for GET /healthz on %s: %w", url, err)
	}
	dep.Phases.Mark(PhaseFirst200, first)
	dep.URL = url
	return nil
}

func (d *Deployer) record(dep *deployers.Deployment, kind, id string) {
	dep.Resources = append(dep.Resources, deployers.Resource{Kind: kind, ID: id, RunID: dep.RunID, Variant: deployers.VM})
}

// userData presigns the artifact URLs and renders the user data.
func (d *Deployer) userData(ctx context.Context, p plan, bucket string) (string, error) {
	binURL, err := d.presign(ctx, bucket, binaryKey)
	if err != nil {
		return "", err
	}
	unitURL, err := d.presign(ctx, bucket, unitKey)
	if err != nil {
		return "", err
	}
	return RenderUserData(UserData{
		RunID:        p.spec.RunID,
		TTLMinutes:   ttlMinutes(d.ttl),
		BinaryURL:    binURL,
		BinarySHA256: p.binarySHA,
		UnitURL:      unitURL,
		UnitSHA256:   p.unitSHA,
		Unit:         UnitName,
		Env:          p.env,
	})
}

// runInstance launches the instance in the first default subnet whose zone
// offers the instance type: not every zone has every type.
func (d *Deployer) runInstance(ctx context.Context, p plan, suffix, sg, userData string) (types.Instance, types.Subnet, error) {
	runID := p.spec.RunID
	var errs []error
	for i, subnet := range p.net.subnets {
		out, err := d.ec2.RunInstances(ctx, LaunchInput(Launch{
			RunID:         runID,
			Name:          resourceName(runID, suffix),
			Image:         p.image.id,
			RootDevice:    p.image.rootDevice,
			RootGiB:       p.image.rootGiB,
			InstanceType:  p.instanceType,
			Subnet:        aws.ToString(subnet.SubnetId),
			SecurityGroup: sg,
			UserData:      userData,
			ClientToken:   clientToken(runID, suffix, i),
		}))
		if err == nil && len(out.Instances) > 0 {
			return out.Instances[0], subnet, nil
		}
		if err == nil {
			return types.Instance{}, subnet, errors.New("run instances: no instance returned")
		}
		if !isCode(err, "Unsupported", "InsufficientInstanceCapacity") {
			// A call that timed out may still have launched the instance:
			// find it by its Name tag, unique to this deployment, so that
			// the cleanup terminates it.
			return d.launched(ctx, runID, resourceName(runID, suffix)), subnet, fmt.Errorf("run instances: %w", err)
		}
		errs = append(errs, fmt.Errorf("%s: %w", aws.ToString(subnet.AvailabilityZone), err))
	}
	return types.Instance{}, types.Subnet{}, fmt.Errorf("run instances: %s in no default subnet's zone: %w: pass another --instance-type", p.instanceType, errors.Join(errs...))
}

// clientToken is at most 40 + 1 + 8 + 1 + 2 characters: EC2 takes 64.
func clientToken(runID, suffix string, subnet int) string {
	return runID + "-" + suffix + "-" + strconv.Itoa(subnet)
}

// launched returns the instance tagged with runID and name, if any, asking
// even when ctx is done (a timed-out RunInstances is the case it is for).
// By tag rather than by client token: emulators do not filter by token.
func (d *Deployer) launched(ctx context.Context, runID, name string) types.Instance {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	out, err := d.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{
		Filters: append(tagFilters(runID), types.Filter{Name: aws.String("tag:Name"), Values: []string{name}}),
	})
	if err != nil {
		return types.Instance{}
	}
	for _, r := range out.Reservations {
		if len(r.Instances) > 0 {
			return r.Instances[0]
		}
	}
	return types.Instance{}
}
