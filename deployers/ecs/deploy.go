package ecs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
	"github.com/computeladder/computeladder/deployers/docker"
)

// containerName is the one container of the task definition.
const containerName = "app"

// Deploy creates the repository, log group, execution role, image, security
// group, cluster, task definition and task, then waits for the task to run
// and for GET /healthz to answer 200. Bad input and a missing default VPC
// are reported before anything is created. On any later failure Deploy
// removes what it created and returns the partial deployment with the error.
func (d *Deployer) Deploy(ctx context.Context, spec deployers.Spec) (*deployers.Deployment, error) {
	t0 := time.Now()
	size, err := d.validate(spec)
	if err != nil {
		return nil, fmt.Errorf("ecs deploy: %w", err)
	}
	net, err := d.defaultNetwork(ctx)
	if err != nil {
		return nil, fmt.Errorf("ecs deploy: %w", err)
	}
	suffix := deployers.RandomHex(3)
	dep := &deployers.Deployment{
		RunID:   spec.RunID,
		Variant: deployers.Container,
		Backend: d.Info().Name,
		Details: map[string]string{},
	}
	dep.Phases.Mark(PhaseDeploy, t0)
	name := awsenv.NamePrefix + spec.RunID + "-" + suffix
	if err := d.deploy(ctx, spec, dep, name, size, net); err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if terr := d.Teardown(cctx, dep); terr != nil {
			err = errors.Join(err, fmt.Errorf("clean up after failed deploy: %w: run sweep for run %s", terr, spec.RunID))
		}
		return dep, fmt.Errorf("ecs deploy %s: %w", spec.RunID, err)
	}
	return dep, nil
}

func (d *Deployer) validate(spec deployers.Spec) (fargateSize, error) {
	if err := spec.Validate(); err != nil {
		return fargateSize{}, err
	}
	if !d.ingress.IsValid() {
		return fargateSize{}, errors.New("no ingress address: pass your public address as a /32 (WithIngress); the app port is never opened to everyone")
	}
	if spec.Artifacts.ContainerContext == "" {
		return fargateSize{}, errors.New("spec: no container build context: build the artifacts first (make build)")
	}
	if st, err := os.Stat(spec.Artifacts.ContainerContext); err != nil || !st.IsDir() {
		return fargateSize{}, fmt.Errorf("spec: container build context %s missing: build the artifacts first (make build)", spec.Artifacts.ContainerContext)
	}
	return sizeFor(cmp.Or(spec.CPUs, DefaultCPUs), cmp.Or(spec.MemoryMB, DefaultMemoryMB))
}

func (d *Deployer) deploy(ctx context.Context, spec deployers.Spec, dep *deployers.Deployment, name string, size fargateSize, net network) error {
	tags := awsenv.TagPairs(spec.RunID, deployers.Container)
	add := func(kind, id string) {
		dep.Resources = append(dep.Resources, deployers.Resource{Kind: kind, ID: id, RunID: spec.RunID, Variant: deployers.Container})
	}
	dep.Details[DetailCPU] = strconv.Itoa(size.cpu)
	dep.Details[DetailMemoryMB] = strconv.Itoa(size.memoryMB)
	dep.Details[DetailUser] = User
	dep.Details[DetailReadOnly] = "true"
	dep.Details[DetailIngress] = d.ingress.String()
	dep.Details[DetailEmulator] = strconv.FormatBool(d.emulator)

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
	roleARN, err := d.createRole(ctx, name, tags, aws.ToString(repo.Repository.RepositoryArn), logGroupARN(d.region, account, name))
	if err != nil {
		return err
	}

	if err := d.push(ctx, spec, dep, aws.ToString(repo.Repository.RepositoryUri)+":"+spec.RunID); err != nil {
		return err
	}

	add(KindSecurityGroup, "")
	sg, err := d.createSecurityGroup(ctx, name, net.vpcID, tags)
	if err != nil {
		return err
	}
	dep.Resources[len(dep.Resources)-1].ID = sg

	add(KindCluster, name)
	if _, err := d.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(name), Tags: ecsTags(tags)}); err != nil {
		return fmt.Errorf("create cluster %s: %w", name, err)
	}
	dep.Details[DetailCluster] = name

	add(KindTaskDefinition, name)
	td, err := d.ecs.RegisterTaskDefinition(ctx, d.taskDefinition(spec, name, size, roleARN, dep.Details[DetailImage], tags))
	if err != nil {
		return fmt.Errorf("register task definition %s: %w", name, err)
	}
	tdARN := aws.ToString(td.TaskDefinition.TaskDefinitionArn)
	dep.Resources[len(dep.Resources)-1].ID = tdARN

	dep.Phases.Mark(PhaseRunTask, time.Now())
	dep.StartupFrom, dep.Preparation = StartupOrigin, Preparation
	taskARN, err := d.runTask(ctx, name, tdARN, net.subnetID, sg, tags)
	if err != nil {
		return err
	}
	add(KindTask, taskARN)
	dep.ID = taskARN
	dep.Details[DetailTask] = taskARN
	return d.waitReady(ctx, spec, dep, name, taskARN)
}

// push asks ECR for a login and has the Pusher build and push the image.
func (d *Deployer) push(ctx context.Context, spec deployers.Spec, dep *deployers.Deployment, ref string) error {
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
		Labels:     docker.Labels(spec.RunID, deployers.Container),
		Auth:       auth,
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

func (d *Deployer) createSecurityGroup(ctx context.Context, name, vpcID string, tags map[string]string) (string, error) {
	out, err := d.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:   aws.String(name),
		Description: aws.String("computeladder ECS task: app port from the caller only"),
		VpcId:       aws.String(vpcID),
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeSecurityGroup,
			Tags:         ec2Tags(tags),
		}},
	})
	if err != nil {
		return "", fmt.Errorf("create security group %s: %w", name, err)
	}
	id := aws.ToString(out.GroupId)
	perm := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(AppPort), ToPort: aws.Int32(AppPort)}
	desc := aws.String("computeladder: the caller only")
	if d.ingress.Addr().Is4() {
		perm.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(d.ingress.String()), Description: desc}}
	} else {
		perm.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: aws.String(d.ingress.String()), Description: desc}}
	}
	if _, err := d.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId:       aws.String(id),
		IpPermissions: []ec2types.IpPermission{perm},
	}); err != nil {
		return id, fmt.Errorf("open port %d to %s: %w", AppPort, d.ingress, err)
	}
	return id, nil
}

func (d *Deployer) taskDefinition(spec deployers.Spec, name string, size fargateSize, roleARN, image string, tags map[string]string) *ecs.RegisterTaskDefinitionInput {
	env := []ecstypes.KeyValuePair{}
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
		Cpu:                     aws.String(strconv.Itoa(size.cpu)),
		Memory:                  aws.String(strconv.Itoa(size.memoryMB)),
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
			MemoryReservation:      aws.Int32(int32(size.memoryMB)),
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
	deadline := time.Now().Add(roleRetry)
	for {
		out, err := d.ecs.RunTask(ctx, in)
		switch {
		case err != nil && strings.Contains(err.Error(), "assume") && time.Now().Before(deadline):
			// The new execution role is not visible to ECS yet.
		case err != nil:
			return "", fmt.Errorf("run task in %s: %w", cluster, err)
		case len(out.Failures) > 0:
			f := out.Failures[0]
			return "", fmt.Errorf("run task in %s: %s %s", cluster, aws.ToString(f.Reason), aws.ToString(f.Detail))
		case len(out.Tasks) == 0:
			return "", fmt.Errorf("run task in %s: no task returned", cluster)
		default:
			return aws.ToString(out.Tasks[0].TaskArn), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("run task in %s: %w", cluster, ctx.Err())
		case <-time.After(2 * time.Second):
		}
	}
}
