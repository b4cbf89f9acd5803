package ec2

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/deployers/awsenv"
	"github.com/computeladder/computeladder/deployers/awsenv/awstest"
	"github.com/computeladder/computeladder/deployers/deployertest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// fakeArtifacts writes a stand-in VM binary and unit: on moto nothing runs
// them, and the test checks that the instance would fetch these very bytes.
func fakeArtifacts(t *testing.T) *artifact.Set {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "computeladder-vm")
	unit := filepath.Join(dir, UnitName)
	if err := os.WriteFile(bin, []byte("\x7fELF stand-in binary for "+t.Name()), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(unit, []byte("[Service]\nExecStart=/usr/local/bin/computeladder-vm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return &artifact.Set{Arch: "amd64", VMBinary: bin, VMUnit: unit}
}

func newMoto(t *testing.T, cfg aws.Config, opts ...Option) *Deployer {
	t.Helper()
	opts = append([]Option{WithPollInterval(10 * time.Millisecond), WithTerminateWait(20 * time.Second)}, opts...)
	d, err := New(cfg, opts...)
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	return d
}

func deployT(t *testing.T, d *Deployer, spec deployers.Spec) *deployers.Deployment {
	t.Helper()
	dep, err := d.Deploy(ctxT(t), spec)
	t.Cleanup(func() {
		if err := d.Teardown(context.Background(), dep); err != nil {
			t.Errorf("cleanup teardown: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return dep
}

func requireNothingLeft(t *testing.T, d *Deployer, runID string) {
	t.Helper()
	rs, err := d.List(ctxT(t), runID)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(rs) > 0 {
		t.Errorf("left behind: %v", rs)
	}
}

func byKind(rs []deployers.Resource, kind string) []string {
	var ids []string
	for _, r := range rs {
		if r.Kind == kind {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func TestDeployMotoFullFlow(t *testing.T) {
	cfg := awstest.Moto(t)
	d := newMoto(t, cfg, WithTTL(45*time.Minute))
	runID := deployertest.RunID(t, "ec2")
	arts := fakeArtifacts(t)
	dep := deployT(t, d, deployers.Spec{RunID: runID, Artifacts: arts, Env: map[string]string{"GREETING": "hi %u"}})
	ctx := ctxT(t)

	var names []string
	for _, p := range dep.Phases {
		names = append(names, p.Name)
	}
	if want := []string{PhaseDeploy, PhaseRunInstances, PhaseRunInstancesReturned, PhaseRunning}; !slices.Equal(names, want) {
		t.Errorf("phases %v, want %v (port-open and first-200 cannot be measured on moto)", names, want)
	}
	// Bucket, upload and security group are preparation: startup counts
	// from the RunInstances call.
	if dep.StartupFrom != StartupOrigin || dep.Preparation != Preparation {
		t.Errorf("startup from %q after %q, want from %q after %q", dep.StartupFrom, dep.Preparation, StartupOrigin, Preparation)
	}
	requireOrdered(t, dep.Phases)
	if nm := dep.NotMeasured; !strings.Contains(nm, PhasePortOpen) || !strings.Contains(nm, PhaseFirst200) {
		t.Errorf("NotMeasured = %q, want port-open and first-200 with a reason", nm)
	}
	if dep.URL != "" {
		t.Errorf("URL = %q on an emulator, want empty", dep.URL)
	}
	if got := dep.Details[DetailIngress]; got != "127.0.0.1/32" {
		t.Errorf("ingress = %q, want the moto endpoint's loopback /32", got)
	}
	if !strings.Contains(dep.Details[DetailIngressSource], "emulator") {
		t.Errorf("ingress_source = %q, want it to say the address came from the emulator endpoint", dep.Details[DetailIngressSource])
	}
	if got := dep.Details[DetailAMISource]; got != "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" {
		t.Errorf("ami_source = %q", got)
	}
	if got := dep.Details[DetailInstanceType]; got != "t3.micro" || dep.MemoryMB != 1024 {
		t.Errorf("instance type = %q with %d MB, want t3.micro with 1024", got, dep.MemoryMB)
	}
	instances, sgs, buckets := byKind(dep.Resources, KindInstance), byKind(dep.Resources, KindSecurityGroup), byKind(dep.Resources, KindBucket)
	if len(instances) != 1 || len(sgs) != 1 || len(buckets) != 1 || dep.ID != instances[0] {
		t.Fatalf("resources %v, id %q: want one instance (the id), one security group, one bucket", dep.Resources, dep.ID)
	}

	ec2c := ec2.NewFromConfig(cfg)
	s3c := s3.NewFromConfig(cfg, awsenv.S3Options(cfg))
	checkInstance(ctx, t, ec2c, instances[0], dep.Details[DetailAMI])
	checkSecurityGroup(ctx, t, ec2c, sgs[0], runID)
	userData := checkUserData(ctx, t, ec2c, instances[0])
	checkBucket(ctx, t, s3c, buckets[0], userData, arts)
	checkLifecycle(ctx, t, s3c, buckets[0], runID)
	if !strings.Contains(userData, "shutdown -h +45 ") {
		t.Errorf("user data lacks the 45-minute time-to-live:\n%s", userData)
	}
	if !strings.Contains(userData, `Environment="GREETING=hi %%u"`) {
		t.Errorf("user data lacks the escaped environment:\n%s", userData)
	}

	listed, err := d.List(ctx, runID)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(listed) != 3 {
		t.Errorf("list = %v, want the instance, security group and bucket", listed)
	}

	if err := d.Teardown(ctx, dep); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	requireNothingLeft(t, d, runID)
	in, found, err := d.describe(ctx, instances[0])
	if err != nil || (found && in.State.Name != ec2types.InstanceStateNameTerminated) {
		t.Errorf("instance after teardown: %v, %v", in.State, err)
	}
	if err := d.Teardown(ctx, dep); err != nil {
		t.Errorf("second teardown: %v, want nil (idempotent)", err)
	}
	if err := d.Teardown(ctx, nil); err != nil {
		t.Errorf("teardown(nil): %v", err)
	}
}

func requireOrdered(t *testing.T, tl deployers.Timeline) {
	t.Helper()
	for i := 1; i < len(tl); i++ {
		if tl[i].At.Before(tl[i-1].At) {
			t.Errorf("phase %s before %s: %s", tl[i].Name, tl[i-1].Name, tl)
		}
	}
}

func checkInstance(ctx context.Context, t *testing.T, c *ec2.Client, id, ami string) {
	t.Helper()
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil || len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("describe instance %s: %v", id, err)
	}
	in := out.Reservations[0].Instances[0]
	if aws.ToString(in.ImageId) != ami {
		t.Errorf("image %s, want %s", aws.ToString(in.ImageId), ami)
	}
	if tagValue(in.Tags, deployers.TagRunID) == "" || tagValue(in.Tags, awsenv.TagVariant) != "vm" {
		t.Errorf("instance tags %v", in.Tags)
	}
	if in.KeyName != nil {
		t.Errorf("key pair %q: want none (no SSH)", aws.ToString(in.KeyName))
	}
	mo := in.MetadataOptions
	if mo == nil || mo.HttpTokens != ec2types.HttpTokensStateRequired || aws.ToInt32(mo.HttpPutResponseHopLimit) != 1 {
		t.Errorf("metadata options %+v: want IMDSv2 required, hop limit 1", mo)
	}
	attr, err := c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(id), Attribute: ec2types.InstanceAttributeNameInstanceInitiatedShutdownBehavior})
	if err != nil || attr.InstanceInitiatedShutdownBehavior == nil || aws.ToString(attr.InstanceInitiatedShutdownBehavior.Value) != "terminate" {
		t.Errorf("shutdown behaviour: %v %v, want terminate", attr, err)
	}
	vols, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{{Name: aws.String("attachment.instance-id"), Values: []string{id}}}})
	if err != nil || len(vols.Volumes) == 0 {
		t.Fatalf("volumes of %s: %v", id, err)
	}
	for _, v := range vols.Volumes {
		if tagValue(v.Tags, deployers.TagRunID) == "" {
			t.Errorf("volume %s not tagged: %v", aws.ToString(v.VolumeId), v.Tags)
		}
		if v.VolumeType != ec2types.VolumeType(RootVolumeType) || aws.ToInt32(v.Size) < RootVolumeGiB {
			t.Errorf("volume %s is %d GiB %s, want at least %d GiB %s", aws.ToString(v.VolumeId), aws.ToInt32(v.Size), v.VolumeType, RootVolumeGiB, RootVolumeType)
		}
	}
	// The network interface's tags are checked on the request
	// (TestLaunchInputTagsWhatItCreates): moto drops them.
}

func checkSecurityGroup(ctx context.Context, t *testing.T, c *ec2.Client, id, runID string) {
	t.Helper()
	out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil || len(out.SecurityGroups) != 1 {
		t.Fatalf("describe security group %s: %v", id, err)
	}
	g := out.SecurityGroups[0]
	if !strings.HasPrefix(aws.ToString(g.GroupName), "computeladder-"+runID+"-vm-") || tagValue(g.Tags, deployers.TagRunID) != runID {
		t.Errorf("group name %q tags %v", aws.ToString(g.GroupName), g.Tags)
	}
	if len(g.IpPermissions) != 1 {
		t.Fatalf("ingress rules %+v: want exactly one", g.IpPermissions)
	}
	p := g.IpPermissions[0]
	if aws.ToString(p.IpProtocol) != "tcp" || aws.ToInt32(p.FromPort) != AppPort || aws.ToInt32(p.ToPort) != AppPort {
		t.Errorf("rule %s %d-%d: want tcp %d only", aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort), AppPort)
	}
	if len(p.IpRanges) != 1 || aws.ToString(p.IpRanges[0].CidrIp) != "127.0.0.1/32" || len(p.Ipv6Ranges) != 0 {
		t.Errorf("sources %+v %+v: want 127.0.0.1/32 only", p.IpRanges, p.Ipv6Ranges)
	}
}

// checkLifecycle checks the bucket's one lifecycle rule: named after the
// run, on the whole bucket, expiring objects and incomplete multipart
// uploads after ArtifactExpiryDays. GetBucketLifecycleConfiguration is
// called here only: the deployer never reads the rule back, so the lab
// user's policy does not grant it.
func checkLifecycle(ctx context.Context, t *testing.T, c *s3.Client, bucket, runID string) {
	t.Helper()
	out, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("lifecycle of %s: %v", bucket, err)
	}
	if len(out.Rules) != 1 {
		t.Fatalf("lifecycle rules %+v: want exactly one", out.Rules)
	}
	r := out.Rules[0]
	if aws.ToString(r.ID) != "computeladder-"+runID+"-expire-artifacts" || r.Status != s3types.ExpirationStatusEnabled {
		t.Errorf("rule %q %s: want computeladder-%s-expire-artifacts, Enabled", aws.ToString(r.ID), r.Status, runID)
	}
	if f := r.Filter; f != nil && (aws.ToString(f.Prefix) != "" || f.Tag != nil || f.And != nil) {
		t.Errorf("rule filter %+v: want the whole bucket", f)
	}
	if r.Expiration == nil || aws.ToInt32(r.Expiration.Days) != 1 {
		t.Errorf("expiration %+v: want objects expired after 1 day", r.Expiration)
	}
	if r.AbortIncompleteMultipartUpload == nil || aws.ToInt32(r.AbortIncompleteMultipartUpload.DaysAfterInitiation) != 1 {
		t.Errorf("abort incomplete multipart upload %+v: want after 1 day", r.AbortIncompleteMultipartUpload)
	}
}

var presignedURL = regexp.MustCompile(`'(http://[^']+X-Amz-Signature=[0-9a-f]+[^']*)'`)

func checkUserData(ctx context.Context, t *testing.T, c *ec2.Client, id string) string {
	t.Helper()
	attr, err := c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(id), Attribute: ec2types.InstanceAttributeNameUserData})
	if err != nil || attr.UserData == nil {
		t.Fatalf("user data of %s: %v", id, err)
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(attr.UserData.Value))
	if err != nil {
		t.Fatalf("user data is not base64: %v", err)
	}
	return string(raw)
}

// checkBucket checks the bucket is private and tagged, and that the
// presigned URLs of the user data fetch exactly the artifacts.
func checkBucket(ctx context.Context, t *testing.T, c *s3.Client, bucket, userData string, arts *artifact.Set) {
	t.Helper()
	pab, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("public access block of %s: %v", bucket, err)
	}
	b := pab.PublicAccessBlockConfiguration
	if !aws.ToBool(b.BlockPublicAcls) || !aws.ToBool(b.IgnorePublicAcls) || !aws.ToBool(b.BlockPublicPolicy) || !aws.ToBool(b.RestrictPublicBuckets) {
		t.Errorf("public access block %+v: want all four on", b)
	}
	// The bucket carries the run's tags: run id, variant and owner.
	tags, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Errorf("bucket tags: %v", err)
	} else {
		keys := map[string]bool{}
		for _, tg := range tags.TagSet {
			keys[aws.ToString(tg.Key)] = true
		}
		if len(tags.TagSet) != 3 || !keys[deployers.TagRunID] || !keys[deployers.TagOwner] {
			t.Errorf("bucket tags %v: want the run id, the variant and the owner", keys)
		}
	}
	urls := presignedURL.FindAllStringSubmatch(userData, -1)
	if len(urls) != 2 {
		t.Fatalf("user data has %d presigned URLs, want 2:\n%s", len(urls), userData)
	}
	for i, want := range []string{arts.VMBinary, arts.VMUnit} {
		u := urls[i][1]
		if !strings.Contains(u, "/"+bucket+"/") {
			t.Errorf("URL %s is not in bucket %s", u, bucket)
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatalf("GET presigned URL: %v", err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantBytes, _ := os.ReadFile(want)
		if resp.StatusCode != http.StatusOK || string(got) != string(wantBytes) {
			t.Errorf("GET %s: %s %q, want the bytes of %s", u, resp.Status, got, want)
		}
	}
}

func TestSweepAfterCrash(t *testing.T) {
	cfg := awstest.Moto(t)
	d := newMoto(t, cfg)
	ctx := ctxT(t)
	crashed := deployertest.RunID(t, "ec2-crash")
	other := crashed + "-other"

	// The process "crashes": the deployment is dropped, nothing in memory
	// remembers it.
	if _, err := d.Deploy(ctx, deployers.Spec{RunID: crashed, Artifacts: fakeArtifacts(t)}); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	t.Cleanup(func() { _, _ = d.Sweep(context.Background(), crashed) })
	keep := deployT(t, d, deployers.Spec{RunID: other, Artifacts: fakeArtifacts(t)})

	// Another variant's group with the same run id is not the VM's to sweep.
	ec2c := ec2.NewFromConfig(cfg)
	foreign := createForeignGroup(ctx, t, ec2c, crashed)

	found, err := d.List(ctx, crashed)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	want := []string{KindInstance, KindSecurityGroup, KindBucket}
	var kinds []string
	for _, r := range found {
		kinds = append(kinds, r.Kind)
		if r.RunID != crashed || r.Variant != deployers.VM {
			t.Errorf("listed %v: want run %s, variant vm", r, crashed)
		}
		// Each resource says who made it (this test process), from its tag.
		if r.Owner != deployers.Self() {
			t.Errorf("listed %v with owner %q, want %q from its %s tag", r, r.Owner, deployers.Self(), deployers.TagOwner)
		}
	}
	if !slices.Equal(kinds, want) {
		t.Fatalf("list = %v, want %v", found, want)
	}
	removed, err := d.Sweep(ctx, crashed)
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if len(removed) != 3 {
		t.Errorf("sweep removed %v, want the 3 listed", removed)
	}
	requireNothingLeft(t, d, crashed)
	if _, err := ec2c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{foreign}}); err != nil {
		t.Errorf("sweep removed the container variant's group %s: %v", foreign, err)
	}
	rest, err := d.List(ctx, other)
	if err != nil || len(rest) != 3 {
		t.Errorf("the other run's resources after sweep: %v, %v; want its 3 untouched (deployment %v)", rest, err, keep.Resources)
	}
}

func createForeignGroup(ctx context.Context, t *testing.T, c *ec2.Client, runID string) string {
	t.Helper()
	out, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:   aws.String("computeladder-" + runID + "-container"),
		Description: aws.String("test"),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: []ec2types.Tag{
			{Key: aws.String(deployers.TagRunID), Value: aws.String(runID)},
			{Key: aws.String(awsenv.TagVariant), Value: aws.String("container")},
		}}},
	})
	if err != nil {
		t.Fatalf("create foreign group: %v", err)
	}
	id := aws.ToString(out.GroupId)
	t.Cleanup(func() {
		_, _ = c.DeleteSecurityGroup(context.Background(), &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
	})
	return id
}

func TestDeployBadInput(t *testing.T) {
	cfg := awstest.Moto(t)
	missing := fakeArtifacts(t)
	missing.VMBinary = filepath.Join(t.TempDir(), "nope")
	wrongArch := fakeArtifacts(t)
	wrongArch.Arch = "386"
	x86AMI, err := newMoto(t, cfg).resolveImage(ctxT(t), ec2types.ArchitectureValuesX8664)
	if err != nil {
		t.Fatalf("moto's Amazon Linux 2023 AMI: %v", err)
	}
	badRegion := cfg.Copy()
	badRegion.Region = "us-mars-1"

	tests := []struct {
		name string
		cfg  aws.Config
		opts []Option
		spec func(runID string) deployers.Spec
		want string
	}{
		{"unknown AMI", cfg, []Option{WithAMI("ami-0123456789abcdef0")},
			func(id string) deployers.Spec { return deployers.Spec{RunID: id, Artifacts: fakeArtifacts(t)} },
			"ami ami-0123456789abcdef0: not found in us-east-1"},
		{"AMI of another architecture", cfg, []Option{WithAMI(x86AMI.id)},
			func(id string) deployers.Spec {
				a := fakeArtifacts(t)
				a.Arch = "arm64"
				return deployers.Spec{RunID: id, Artifacts: a}
			}, "is x86_64 but the VM binary is arm64"},
		{"region unknown to the endpoint", badRegion, nil,
			func(id string) deployers.Spec { return deployers.Spec{RunID: id, Artifacts: fakeArtifacts(t)} },
			"in us-mars-1"},
		{"no artifacts", cfg, nil,
			func(id string) deployers.Spec { return deployers.Spec{RunID: id} },
			"no artifacts: build them first"},
		{"missing VM binary", cfg, nil,
			func(id string) deployers.Spec { return deployers.Spec{RunID: id, Artifacts: missing} },
			"build them first (make build)"},
		{"no VM artifacts in the set", cfg, nil,
			func(id string) deployers.Spec {
				return deployers.Spec{RunID: id, Artifacts: &artifact.Set{Arch: "amd64"}}
			},
			"no VM binary or unit"},
		{"unsupported architecture", cfg, nil,
			func(id string) deployers.Spec { return deployers.Spec{RunID: id, Artifacts: wrongArch} },
			"EC2 runs amd64 or arm64"},
		{"too much memory", cfg, nil,
			func(id string) deployers.Spec {
				return deployers.Spec{RunID: id, Artifacts: fakeArtifacts(t), MemoryMB: 1 << 20}
			}, "the largest lab instance has 8192 MB"},
		{"PORT in the environment", cfg, nil,
			func(id string) deployers.Spec {
				return deployers.Spec{RunID: id, Artifacts: fakeArtifacts(t), Env: map[string]string{"PORT": "9000"}}
			}, "PORT is fixed at 8080"},
		{"multi-line environment value", cfg, nil,
			func(id string) deployers.Spec {
				return deployers.Spec{RunID: id, Artifacts: fakeArtifacts(t), Env: map[string]string{"A": "x\nrm -rf /"}}
			}, "must be one line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newMoto(t, tt.cfg, tt.opts...)
			runID := deployertest.RunID(t, "ec2-bad")
			dep, err := d.Deploy(ctxT(t), tt.spec(runID))
			t.Cleanup(func() { _ = d.Teardown(context.Background(), dep) })
			if err == nil {
				t.Fatalf("deploy succeeded (%v), want an error", dep.Resources)
			}
			if dep != nil {
				t.Errorf("deployment %v returned for bad input: want nil, nothing created", dep.Resources)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("error %q: want one line containing %q", err, tt.want)
			}
			requireNothingLeft(t, newMoto(t, cfg), runID)
		})
	}
}

// failingRun makes RunInstances fail after the bucket and group exist.
type failingRun struct {
	EC2API
}

func (failingRun) RunInstances(context.Context, *ec2.RunInstancesInput, ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error) {
	return nil, errors.New("injected: instance limit exceeded")
}

// launchedButFailed launches the instance, then reports an error, as a
// RunInstances call that timed out on the way back does.
type launchedButFailed struct {
	EC2API
}

func (l launchedButFailed) RunInstances(ctx context.Context, in *ec2.RunInstancesInput, opts ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error) {
	if _, err := l.EC2API.RunInstances(ctx, in, opts...); err != nil {
		return nil, err
	}
	return nil, errors.New("injected: response lost")
}

func TestDeployFailureCleansUp(t *testing.T) {
	cfg := awstest.Moto(t)
	s3c := s3.NewFromConfig(cfg, awsenv.S3Options(cfg))
	tests := []struct {
		name      string
		api       EC2API
		instances int // recorded in the partial deployment
	}{
		{"run instances fails", failingRun{ec2.NewFromConfig(cfg)}, 0},
		{"instance launched, response lost", launchedButFailed{ec2.NewFromConfig(cfg)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newMoto(t, cfg, withClients(tt.api, s3c, s3.NewPresignClient(s3c), ssm.NewFromConfig(cfg)))
			runID := deployertest.RunID(t, "ec2-fail")
			dep, err := d.Deploy(ctxT(t), deployers.Spec{RunID: runID, Artifacts: fakeArtifacts(t)})
			t.Cleanup(func() { _ = d.Teardown(context.Background(), dep) })
			if err == nil || !strings.Contains(err.Error(), "injected") {
				t.Fatalf("deploy error %v, want the injected one", err)
			}
			if dep == nil || len(byKind(dep.Resources, KindBucket)) != 1 || len(byKind(dep.Resources, KindSecurityGroup)) != 1 ||
				len(byKind(dep.Resources, KindInstance)) != tt.instances {
				t.Fatalf("partial deployment %v: want the bucket, the group and %d instance(s)", dep, tt.instances)
			}
			requireNothingLeft(t, d, runID)
			if err := d.Teardown(ctxT(t), dep); err != nil {
				t.Errorf("teardown after the deploy cleaned up: %v, want nil", err)
			}
		})
	}
}

func TestIngressOption(t *testing.T) {
	cfg := awstest.Moto(t)
	d := newMoto(t, cfg, WithIngress(netip.MustParsePrefix("203.0.113.7/32")))
	dep := deployT(t, d, deployers.Spec{RunID: deployertest.RunID(t, "ec2-ingress"), Artifacts: fakeArtifacts(t)})
	if dep.Details[DetailIngress] != "203.0.113.7/32" || dep.Details[DetailIngressSource] != "option" {
		t.Errorf("ingress %q from %q, want 203.0.113.7/32 from the option", dep.Details[DetailIngress], dep.Details[DetailIngressSource])
	}
	sg := byKind(dep.Resources, KindSecurityGroup)
	out, err := ec2.NewFromConfig(cfg).DescribeSecurityGroups(ctxT(t), &ec2.DescribeSecurityGroupsInput{GroupIds: sg})
	if err != nil || len(out.SecurityGroups) != 1 || len(out.SecurityGroups[0].IpPermissions) != 1 ||
		aws.ToString(out.SecurityGroups[0].IpPermissions[0].IpRanges[0].CidrIp) != "203.0.113.7/32" {
		t.Errorf("security group %v: %v, want port %d from 203.0.113.7/32 only", out, err, AppPort)
	}
}

// stuckInstance never lets an instance finish terminating: its instances
// stay shutting-down and its security groups stay in use.
type stuckInstance struct{ EC2API }

func (s stuckInstance) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	out, err := s.EC2API.DescribeInstances(ctx, in, opts...)
	if err != nil || len(in.InstanceIds) == 0 {
		return out, err
	}
	for _, r := range out.Reservations {
		for i := range r.Instances {
			r.Instances[i].State = &ec2types.InstanceState{Name: ec2types.InstanceStateNameShuttingDown}
		}
	}
	return out, nil
}

func (stuckInstance) DeleteSecurityGroup(context.Context, *ec2.DeleteSecurityGroupInput, ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "DependencyViolation", Message: "resource has a dependent object"}
}

// TestTeardownGoesOnAfterTheWaitRunsOut checks that a termination that
// outlasts its wait does not abandon the rest: the bucket is removed all
// the same, and the error names what is left.
func TestTeardownGoesOnAfterTheWaitRunsOut(t *testing.T) {
	cfg := awstest.Moto(t)
	d := newMoto(t, cfg)
	runID := deployertest.RunID(t, "ec2-stuck")
	dep := deployT(t, d, deployers.Spec{RunID: runID, Artifacts: fakeArtifacts(t)})
	s3c := s3.NewFromConfig(cfg, awsenv.S3Options(cfg))
	stuck := newMoto(t, cfg, WithTerminateWait(300*time.Millisecond),
		withClients(stuckInstance{ec2.NewFromConfig(cfg)}, s3c, s3.NewPresignClient(s3c), ssm.NewFromConfig(cfg)))
	err := stuck.Teardown(ctxT(t), dep)
	if err == nil {
		t.Fatal("teardown of a stuck instance: nil error, want what is left named")
	}
	msg := err.Error()
	for _, want := range []string{"left:", KindInstance + " " + dep.ID, KindSecurityGroup, "sweep --run-id " + runID} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, KindBucket) {
		t.Errorf("error %q names the bucket: want it removed although the instance wait ran out", msg)
	}
	if left, _ := d.listBuckets(ctxT(t), runID); len(left) != 0 {
		t.Errorf("buckets left: %v", left)
	}
	if b := stuck.Info().TeardownBudget; b < 2*300*time.Millisecond {
		t.Errorf("teardown budget %s: want it to cover the terminate wait and the security group's retries", b)
	}
}
