package ecs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// List returns the resources of the container variant that carry runID (or
// any run id when runID is empty), found by their tags on AWS: clusters and
// their tasks, task definitions, security groups, log groups, repositories
// and roles. Names narrow the search to awsenv.NamePrefix first; the tags
// decide. It returns what it found together with the errors of the
// services it could not list.
func (d *Deployer) List(ctx context.Context, runID string) ([]deployers.Resource, error) {
	match := func(tags map[string]string) (deployers.Resource, bool) {
		id, ok := tags[deployers.TagRunID]
		if !ok || (runID != "" && id != runID) || tags[awsenv.TagVariant] != string(deployers.Container) {
			return deployers.Resource{}, false
		}
		return deployers.Resource{RunID: id, Variant: deployers.Container, Owner: tags[deployers.TagOwner]}, true
	}
	var out []deployers.Resource
	var errs []error
	for _, list := range []func(context.Context, func(map[string]string) (deployers.Resource, bool)) ([]deployers.Resource, error){
		d.listClusters, d.listTaskDefinitions, d.listSecurityGroups, d.listLogGroups, d.listRepositories, d.listRoles,
	} {
		rs, err := list(ctx, match)
		out = append(out, rs...)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("ecs list: %w", err)
	}
	return out, nil
}

// Sweep removes what List finds, in teardown order, and returns what it
// removed.
func (d *Deployer) Sweep(ctx context.Context, runID string) ([]deployers.Resource, error) {
	rs, err := d.List(ctx, runID)
	if err != nil && len(rs) == 0 {
		return nil, fmt.Errorf("ecs sweep: %w", err)
	}
	errs := []error{err}
	var removed []deployers.Resource
	for _, r := range deployers.InKindOrder(rs, kindOrder...) {
		if rerr := d.remove(ctx, []deployers.Resource{r}); rerr != nil {
			errs = append(errs, rerr)
			continue
		}
		removed = append(removed, r)
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("ecs sweep: %w", err)
	}
	return removed, nil
}

type matcher = func(map[string]string) (deployers.Resource, bool)

func (d *Deployer) listClusters(ctx context.Context, match matcher) ([]deployers.Resource, error) {
	var arns []string
	p := ecs.NewListClustersPaginator(d.ecs, &ecs.ListClustersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list clusters: %w", err)
		}
		for _, a := range page.ClusterArns {
			if strings.Contains(a, ":cluster/"+awsenv.NamePrefix) {
				arns = append(arns, a)
			}
		}
	}
	var out []deployers.Resource
	for len(arns) > 0 {
		batch := arns[:min(len(arns), 100)]
		arns = arns[len(batch):]
		desc, err := d.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: batch, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldTags}})
		if err != nil {
			return out, fmt.Errorf("describe clusters: %w", err)
		}
		for _, c := range desc.Clusters {
			r, ok := match(ecsTagMap(c.Tags))
			if !ok || aws.ToString(c.Status) == "INACTIVE" {
				continue
			}
			name := aws.ToString(c.ClusterName)
			tasks, err := d.listTasks(ctx, name, r)
			out = append(out, tasks...)
			if err != nil {
				return out, err
			}
			r.Kind, r.ID = KindCluster, name
			out = append(out, r)
		}
	}
	return out, nil
}

// listTasks returns the cluster's tasks that have not stopped; they belong
// to the cluster's run.
func (d *Deployer) listTasks(ctx context.Context, cluster string, r deployers.Resource) ([]deployers.Resource, error) {
	var out []deployers.Resource
	p := ecs.NewListTasksPaginator(d.ecs, &ecs.ListTasksInput{Cluster: aws.String(cluster)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list tasks of %s: %w", cluster, err)
		}
		for _, a := range page.TaskArns {
			t := r
			// Kept in the cluster's form when the ARN does not name it.
			t.Kind, t.ID = KindTask, a
			if clusterOf(a, "") == "" {
				t.ID = a[:strings.LastIndex(a, "/")+1] + cluster + a[strings.LastIndex(a, "/"):]
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// listTaskDefinitions finds ACTIVE task definitions and INACTIVE ones (a
// teardown that deregistered but did not delete): both stay in the account
// until DeleteTaskDefinitions.
func (d *Deployer) listTaskDefinitions(ctx context.Context, match matcher) ([]deployers.Resource, error) {
	var out []deployers.Resource
	for _, status := range []ecstypes.TaskDefinitionStatus{ecstypes.TaskDefinitionStatusActive, ecstypes.TaskDefinitionStatusInactive} {
		// FamilyPrefix matches a whole family name, not a prefix: filter here.
		p := ecs.NewListTaskDefinitionsPaginator(d.ecs, &ecs.ListTaskDefinitionsInput{Status: status})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return out, fmt.Errorf("list task definitions: %w", err)
			}
			for _, a := range page.TaskDefinitionArns {
				if !strings.Contains(a, ":task-definition/"+awsenv.NamePrefix) {
					continue
				}
				td, err := d.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(a), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
				if err != nil {
					return out, fmt.Errorf("describe task definition %s: %w", a, err)
				}
				if r, ok := match(ecsTagMap(td.Tags)); ok {
					r.Kind, r.ID = KindTaskDefinition, a
					out = append(out, r)
				}
			}
		}
	}
	return out, nil
}

func (d *Deployer) listSecurityGroups(ctx context.Context, match matcher) ([]deployers.Resource, error) {
	var out []deployers.Resource
	p := ec2.NewDescribeSecurityGroupsPaginator(d.ec2, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag-key"), Values: []string{deployers.TagRunID}},
		{Name: aws.String("tag:" + awsenv.TagVariant), Values: []string{string(deployers.Container)}},
	}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("describe security groups: %w", err)
		}
		for _, g := range page.SecurityGroups {
			tags := map[string]string{}
			for _, t := range g.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if r, ok := match(tags); ok {
				r.Kind, r.ID = KindSecurityGroup, aws.ToString(g.GroupId)
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func (d *Deployer) listLogGroups(ctx context.Context, match matcher) ([]deployers.Resource, error) {
	var out []deployers.Resource
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(d.logs, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(awsenv.NamePrefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("describe log groups: %w", err)
		}
		for _, g := range page.LogGroups {
			// ListTagsForResource wants the ARN without the ":*" suffix.
			arn := strings.TrimSuffix(aws.ToString(g.Arn), ":*")
			tags, err := d.logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
			if err != nil {
				return out, fmt.Errorf("tags of log group %s: %w", aws.ToString(g.LogGroupName), err)
			}
			if r, ok := match(tags.Tags); ok {
				r.Kind, r.ID = KindLogGroup, aws.ToString(g.LogGroupName)
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func (d *Deployer) listRepositories(ctx context.Context, match matcher) ([]deployers.Resource, error) {
	var out []deployers.Resource
	p := ecr.NewDescribeRepositoriesPaginator(d.ecr, &ecr.DescribeRepositoriesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("describe repositories: %w", err)
		}
		for _, repo := range page.Repositories {
			if !strings.HasPrefix(aws.ToString(repo.RepositoryName), awsenv.NamePrefix) {
				continue
			}
			tags, err := d.ecr.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: repo.RepositoryArn})
			if err != nil {
				return out, fmt.Errorf("tags of repository %s: %w", aws.ToString(repo.RepositoryName), err)
			}
			m := map[string]string{}
			for _, t := range tags.Tags {
				m[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if r, ok := match(m); ok {
				r.Kind, r.ID = KindRepository, aws.ToString(repo.RepositoryName)
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func (d *Deployer) listRoles(ctx context.Context, match matcher) ([]deployers.Resource, error) {
	var out []deployers.Resource
	p := iam.NewListRolesPaginator(d.iam, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list roles: %w", err)
		}
		for _, role := range page.Roles {
			name := aws.ToString(role.RoleName)
			if !strings.HasPrefix(name, awsenv.NamePrefix) {
				continue
			}
			tags, err := d.iam.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String(name)})
			if err != nil {
				if isNotFound(err) {
					continue // removed since the listing
				}
				return out, fmt.Errorf("tags of role %s: %w", name, err)
			}
			m := map[string]string{}
			for _, t := range tags.Tags {
				m[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if r, ok := match(m); ok {
				r.Kind, r.ID = KindRole, name
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func ecsTagMap(tags []ecstypes.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
