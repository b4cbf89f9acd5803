package ecs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/computeladder/computeladder/app/adapters/httpserve"
	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
	"github.com/computeladder/computeladder/deployers/internal/engine"
)

// containerName is the one container of the task definition.
const containerName = "app"

// plan is what Deploy looked up and checked before creating anything.
type plan struct {
	spec     deployers.Spec
	name     string
	size     Size
	net      network
	ingress  awsenv.Ingress
	boundary string // the execution role's permissions boundary
	platform string // e.g. linux/amd64
}

// Deploy creates the repository, log group, execution role, image, security
// group, cluster, task definition and task, then waits for the task to run
// and for GET /healthz to answer 200. Bad input, a missing default VPC and
// a failed address lookup are reported before anything is created. On any
// later failure Deploy removes what it created and returns the partial
// deployment with the error.
func (d *Deployer) Deploy(ctx context.Context, spec deployers.Spec) (*deployers.Deployment, error) {
	t0 := time.Now()
	p, err := d.validate(spec)
	if err != nil {
		return nil, fmt.Errorf("ecs deploy: %w", err)
	}
	if err := d.lookup(ctx, &p); err != nil {
		return nil, fmt.Errorf("ecs deploy: %w", err)
	}
	dep := &deployers.Deployment{
		RunID:   spec.RunID,
		Variant: deployers.Container,
		Backend: d.Info().Name,
		Details: map[string]string{},
	}
	dep.Phases.Mark(PhaseDeploy, t0)
	p.name = awsenv.NamePrefix + spec.RunID + "-" + deployers.RandomHex(3)
	if err := d.deploy(ctx, p, dep); err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.teardownBudget())
		defer cancel()
		if terr := d.Teardown(cctx, dep); terr != nil {
			err = errors.Join(err, fmt.Errorf("clean up after failed deploy: %w: run sweep for run %s", terr, spec.RunID))
		}
		return dep, fmt.Errorf("ecs deploy %s: %w", spec.RunID, err)
	}
	return dep, nil
}

func (d *Deployer) validate(spec deployers.Spec) (plan, error) {
	if err := spec.Validate(); err != nil {
		return plan{}, err
	}
	if spec.Artifacts.ContainerContext == "" {
		return plan{}, errors.New("spec: no container build context: build the artifacts first (make build)")
	}
	if st, err := os.Stat(spec.Artifacts.ContainerContext); err != nil || !st.IsDir() {
		return plan{}, fmt.Errorf("spec: container build context %s missing: build the artifacts first (make build)", spec.Artifacts.ContainerContext)
	}
	if _, ok := spec.Env[httpserve.TTLEnv]; ok {
		return plan{}, fmt.Errorf("environment: %s is the task's time-to-live, set by the deployer: leave it out", httpserve.TTLEnv)
	}
	platform, err := platformOf(spec.Artifacts.Arch)
	if err != nil {
		return plan{}, err
	}
	size, err := SizeFor(cmp.Or(spec.CPUs, DefaultCPUs), cmp.Or(spec.MemoryMB, DefaultMemoryMB))
	if err != nil {
		return plan{}, err
	}
	return plan{spec: spec, size: size, platform: platform}, nil
}

// lookup finds the default network, the ingress address and the
// permissions boundary; it creates nothing.
func (d *Deployer) lookup(ctx context.Context, p *plan) error {
	var err error
	if p.net, err = d.defaultNetwork(ctx); err != nil {
		return err
	}
	endpoint := ""
	if d.emulator {
		endpoint = d.endpoint
	}
	if p.ingress, err = awsenv.ResolveIngress(ctx, endpoint, d.ingress, d.lookupAddr); err != nil {
		return err
	}
	if p.boundary, err = awsenv.Boundary(ctx, d.sts); err != nil {
		return err
	}
	return nil
}

func (d *Deployer) deploy(ctx context.Context, p plan, dep *deployers.Deployment) error {
	spec, name := p.spec, p.name
	tags := awsenv.TagPairs(spec.RunID, deployers.Container)
	add := func(kind, id string) {
		dep.Resources = append(dep.Resources, deployers.Resource{Kind: kind, ID: id, RunID: spec.RunID, Variant: deployers.Container})
	}
	dep.Details[DetailCPU] = strconv.Itoa(p.size.CPU)
	dep.MemoryMB = p.size.MemoryMB
	dep.Details[DetailUser] = User
	dep.Details[DetailReadOnly] = "true"
	dep.Details[DetailIngress] = p.ingress.Prefix.String()
	dep.Details[DetailIngressFrom] = p.ingress.Source
	dep.Details[DetailEmulator] = strconv.FormatBool(d.emulator)
	dep.Details[DetailTTL] = d.ttl.String()
	dep.Details[DetailPlatform] = p.platform
	dep.Details[DetailBoundary] = p.boundary

	// Each resource is recorded before its create call returns: should ctx
	// end while AWS completes the call, Teardown still tries it by name.
	add(KindRepository, name)
	mut := ecrtypes.ImageTagMutabilityMutable
	if d.immutable {
		mut = ecrtypes.ImageTagMutabilityImmutable
	}
	repo, err := d.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName:             aws.String(name),
		ImageScanningConfiguration: &ecrtypes.ImageScanningConfiguration{ScanOnPush: true},
		ImageTagMutability:         mut,
		Tags:                       ecrTags(tags),
	})
	if err != nil {
		return fmt.Errorf("create repository %s: %w", name, err)
	}
	account := aws.ToString(repo.Repository.RegistryId)

	add(KindLogGroup, name)
	if _, err := d.logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name), Tags: tags}); err != nil {
		return fmt.Errorf("create log group %s: %w", name, err)
	}
	if _, err := d.logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(name), RetentionInDays: aws.Int32(LogRetentionDays)}); err != nil {
		return fmt.Errorf("set retention of log group %s: %w", name, err)
	}
	dep.Details[DetailLogGroup] = name

	add(KindRole, name)
	roleARN, err := d.createRole(ctx, name, tags, p.boundary, aws.ToString(repo.Repository.RepositoryArn), logGroupARN(d.region, account, name))
	if err != nil {
		return err
	}

	if err := d.push(ctx, spec, dep, aws.ToString(repo.Repository.RepositoryUri)+":"+spec.RunID, p.platform); err != nil {
		return err
	}

	add(KindSecurityGroup, "")
	sg, err := awsenv.CreateSecurityGroup(ctx, d.ec2, securityGroup(name, p.net.vpcID, tags, p.ingress.Prefix))
	dep.Resources[len(dep.Resources)-1].ID = sg
	if err != nil {
		return err
	}

	if err := d.ensureServiceLinkedRole(ctx); err != nil {
		return err
	}
	add(KindCluster, name)
	if err := d.retrySLR(ctx, "create cluster "+name, func() error {
		_, err := d.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(name), Tags: ecsTags(tags)})
		return err
	}); err != nil {
		return fmt.Errorf("create cluster %s: %w", name, err)
	}
	dep.Details[DetailCluster] = name

	add(KindTaskDefinition, name)
	td, err := d.ecs.RegisterTaskDefinition(ctx, d.taskDefinition(spec, name, p.size, roleARN, dep.Details[DetailImage], tags))
	if err != nil {
		return fmt.Errorf("register task definition %s: %w", name, err)
	}
	tdARN := aws.ToString(td.TaskDefinition.TaskDefinitionArn)
	dep.Resources[len(dep.Resources)-1].ID = tdARN

	dep.Phases.Mark(PhaseRunTask, time.Now())
	dep.StartupFrom, dep.Preparation = StartupOrigin, Preparation
	taskARN, err := d.runTask(ctx, name, tdARN, p.net.subnetID, sg, tags)
	if err != nil {
		return err
	}
	add(KindTask, taskARN)
	dep.ID = taskARN
	dep.Details[DetailTask] = taskARN
	return d.waitReady(ctx, spec, dep, name, taskARN, p.ingress.Prefix)
}

// securityGroup is the group that lets only ingress reach the app port.
func securityGroup(name, vpc string, tags map[string]string, ingress netip.Prefix) awsenv.SecurityGroup {
	return awsenv.SecurityGroup{
		Name:        name,
		Description: "computeladder ECS task: app port from the caller only",
		VPC:         vpc,
		Tags:        tags,
		Port:        AppPort,
		Ingress:     ingress,
	}
}

// platformOf is the image platform of artifacts built for goarch: Fargate
// refuses an image of another architecture (CannotPullContainerError).
func platformOf(goarch string) (string, error) {
	switch goarch {
	case "", "amd64":
		return "linux/amd64", nil
	case "arm64":
		return "linux/arm64", nil
	}
	return "", fmt.Errorf("artifacts built for %q: Fargate runs amd64 or arm64: rebuild with --arch amd64 or arm64", goarch)
}

// push asks ECR for a login and has the Pusher build and push the image
// for platform.
func (d *Deployer) push(ctx context.Context, spec deployers.Spec, dep *deployers.Deployment, ref, platform string) error {
	tok, err := d.ecr.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return fmt.Errorf("ecr login: %w", err)
	}
	if len(tok.AuthorizationData) == 0 {
		return errors.New("ecr login: no authorization data returned")
	}
	ad := tok.AuthorizationData[0]
	auth, err := decodeToken(aws.ToString(ad.AuthorizationToken), aws.ToString(ad.ProxyEndpoint))
	if err != nil {
		return err
	}
	digest, err := d.pusher.Push(ctx, Image{
		ContextDir: spec.Artifacts.ContainerContext,
		Ref:        ref,
		Labels:     engine.Labels(spec.RunID, deployers.Container),
		Auth:       auth,
		Platform:   platform,
	})
	if err != nil {
		return fmt.Errorf("push image: %w", err)
	}
	pushed := time.Now()
	dep.Phases.Mark(PhasePushed, pushed)
	dep.Details[DetailImage] = ref
	dep.Details[DetailImageDigest] = digest
	dep.Details[DetailPushed] = pushed.Sub(dep.Phases[0].At).Round(time.Millisecond).String()
	d.log.InfoContext(ctx, "image pushed", "ref", ref, "digest", digest)
	return nil
}

func (d *Deployer) taskDefinition(spec deployers.Spec, name string, size Size, roleARN, image string, tags map[string]string) *ecs.RegisterTaskDefinitionInput {
	// The container exits after its time-to-live, so that a task a
	// killed run leaves stops and stops billing.
	env := []ecstypes.KeyValuePair{{Name: aws.String(httpserve.TTLEnv), Value: aws.String(d.ttl.String())}}
	if _, ok := spec.Env["PORT"]; !ok {
		env = append(env, ecstypes.KeyValuePair{Name: aws.String("PORT"), Value: aws.String(strconv.Itoa(AppPort))})
	}
	for k, v := range spec.Env {
		env = append(env, ecstypes.KeyValuePair{Name: aws.String(k), Value: aws.String(v)})
	}
	slices.SortFunc(env, func(a, b ecstypes.KeyValuePair) int { return strings.Compare(*a.Name, *b.Name) })
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(name),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		Cpu:                     aws.String(strconv.Itoa(size.CPU)),
		Memory:                  aws.String(strconv.Itoa(size.MemoryMB)),
		ExecutionRoleArn:        aws.String(roleARN),
		RuntimePlatform: &ecstypes.RuntimePlatform{
			OperatingSystemFamily: ecstypes.OSFamilyLinux,
			CpuArchitecture:       cpuArch(spec.Artifacts.Arch),
		},
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:      aws.String(containerName),
			Image:     aws.String(image),
			Essential: aws.Bool(true),
			// The task's memory as the container's soft limit: Fargate
			// allows it, and moto needs a container-level figure to
			// account for the task (a hard limit would break its replies).
			MemoryReservation:      aws.Int32(int32(size.MemoryMB)),
			User:                   aws.String(User),
			ReadonlyRootFilesystem: aws.Bool(true),
			Environment:            env,
			PortMappings: []ecstypes.PortMapping{{
				ContainerPort: aws.Int32(AppPort),
				Protocol:      ecstypes.TransportProtocolTcp,
			}},
			LogConfiguration: &ecstypes.LogConfiguration{
				LogDriver: ecstypes.LogDriverAwslogs,
				Options: map[string]string{
					"awslogs-group":         name,
					"awslogs-region":        d.region,
					"awslogs-stream-prefix": containerName,
				},
			},
		}},
		Tags: ecsTags(tags),
	}
}

// cpuArch is the Fargate architecture the artifacts were built for.
func cpuArch(goarch string) ecstypes.CPUArchitecture {
	if goarch == "arm64" {
		return ecstypes.CPUArchitectureArm64
	}
	return ecstypes.CPUArchitectureX8664
}

// roleRetry bounds the retries of RunTask while a new execution role
// propagates through IAM, which takes seconds.
const roleRetry = 30 * time.Second

func (d *Deployer) runTask(ctx context.Context, cluster, tdARN, subnet, sg string, tags map[string]string) (string, error) {
	in := &ecs.RunTaskInput{
		Cluster:        aws.String(cluster),
		TaskDefinition: aws.String(tdARN),
		LaunchType:     ecstypes.LaunchTypeFargate,
		Count:          aws.Int32(1),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets:        []string{subnet},
			SecurityGroups: []string{sg},
			AssignPublicIp: ecstypes.AssignPublicIpEnabled,
		}},
		Tags: ecsTags(tags),
	}
	// An execution role ECS cannot assume yet is retried for roleRetry;
	// the retries for ECS's service-linked role have their own bound.
	var arn string
	deadline := time.Now().Add(roleRetry)
	err := deployers.Poll(ctx, 2*time.Second, roleRetry+d.slrWait, func(ctx context.Context) (bool, error) {
		var out *ecs.RunTaskOutput
		err := d.retrySLR(ctx, "run task in "+cluster, func() (err error) {
			out, err = d.ecs.RunTask(ctx, in)
			return err
		})
		switch {
		case err != nil && !slrNotReady(err) && strings.Contains(err.Error(), "assume") && time.Now().Before(deadline):
			return false, nil // the new execution role is not visible to ECS yet
		case err != nil:
			return false, err
		case len(out.Failures) > 0:
			f := out.Failures[0]
			return false, fmt.Errorf("%s %s", aws.ToString(f.Reason), aws.ToString(f.Detail))
		case len(out.Tasks) == 0:
			return false, errors.New("no task returned")
		}
		arn = aws.ToString(out.Tasks[0].TaskArn)
		return true, nil
	})
	if err != nil {
		return "", fmt.Errorf("run task in %s: %w", cluster, err)
	}
	return arn, nil
}
