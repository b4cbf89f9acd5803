package awslambda

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// Teardown removes the URL config, the function, the role (its policies
// first) and the log group. It accepts nil, treats what is already gone as
// removed, works from d.Resources alone and joins the errors of its steps.
func (dp *Deployer) Teardown(ctx context.Context, d *deployers.Deployment) error {
	if d == nil {
		return nil
	}
	var errs []error
	for _, r := range deployers.InKindOrder(d.Resources, kindOrder...) {
		errs = append(errs, dp.remove(ctx, r))
	}
	return errors.Join(errs...)
}

func (dp *Deployer) remove(ctx context.Context, r deployers.Resource) error {
	switch r.Kind {
	case KindFunctionURL:
		_, err := dp.lambda.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: &r.ID})
		return step("delete function url of "+r.ID, err)
	case KindFunction:
		_, err := dp.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: &r.ID})
		return step("delete function "+r.ID, err)
	case KindRole:
		return dp.deleteRole(ctx, r.ID)
	case KindLogGroup:
		_, err := dp.logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: &r.ID})
		return step("delete log group "+r.ID, err)
	default:
		return fmt.Errorf("teardown %s: unknown resource kind", r)
	}
}

// deleteRole removes the role's policies first: IAM refuses to delete a
// role that still has any.
func (dp *Deployer) deleteRole(ctx context.Context, name string) error {
	var errs []error
	inline := iam.NewListRolePoliciesPaginator(dp.iam, &iam.ListRolePoliciesInput{RoleName: &name})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			if notFound(err) {
				return nil
			}
			return fmt.Errorf("list policies of role %s: %w", name, err)
		}
		for _, p := range page.PolicyNames {
			_, err := dp.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: &name, PolicyName: aws.String(p)})
			errs = append(errs, step("delete policy "+p+" of role "+name, err))
		}
	}
	attached := iam.NewListAttachedRolePoliciesPaginator(dp.iam, &iam.ListAttachedRolePoliciesInput{RoleName: &name})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			errs = append(errs, step("list attached policies of role "+name, err))
			break
		}
		for _, p := range page.AttachedPolicies {
			_, err := dp.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: &name, PolicyArn: p.PolicyArn})
			errs = append(errs, step("detach policy "+aws.ToString(p.PolicyArn)+" from role "+name, err))
		}
	}
	_, err := dp.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: &name})
	errs = append(errs, step("delete role "+name, err))
	return errors.Join(errs...)
}

// step wraps err with its step, and treats not found as done.
func step(what string, err error) error {
	if err == nil || notFound(err) {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

func notFound(err error) bool {
	var lnf *types.ResourceNotFoundException
	var inf *iamtypes.NoSuchEntityException
	var cnf *logtypes.ResourceNotFoundException
	return errors.As(err, &lnf) || errors.As(err, &inf) || errors.As(err, &cnf) || errors.Is(err, deployers.ErrNotFound)
}

// kindOrder is the teardown order: the URL before its function, the
// function before the role it uses, the log group last so that it also
// catches what the function wrote while being deleted.
var kindOrder = []string{KindFunctionURL, KindFunction, KindRole, KindLogGroup}

// matches says whether tags mark a resource of the function variant of
// runID (of any run when runID is empty).
func matches(tags map[string]string, runID string) bool {
	if tags[awsenv.TagVariant] != string(deployers.Lambda) {
		return false
	}
	id, ok := tags[deployers.TagRunID]
	return ok && (runID == "" || id == runID)
}

// List returns the functions, roles and log groups of the function variant
// that carry runID (every run's when empty), as the APIs report them. A
// function's URL config goes with the function and is not listed apart.
func (dp *Deployer) List(ctx context.Context, runID string) ([]deployers.Resource, error) {
	var out []deployers.Resource
	var errs []error
	fns, err := dp.listFunctions(ctx, runID)
	out, errs = append(out, fns...), append(errs, err)
	roles, err := dp.listRoles(ctx, runID)
	out, errs = append(out, roles...), append(errs, err)
	groups, err := dp.listLogGroups(ctx, runID)
	out, errs = append(out, groups...), append(errs, err)
	return out, errors.Join(errs...)
}

func (dp *Deployer) listFunctions(ctx context.Context, runID string) ([]deployers.Resource, error) {
	var out []deployers.Resource
	p := lambda.NewListFunctionsPaginator(dp.lambda, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list functions: %w", err)
		}
		for _, f := range page.Functions {
			name := aws.ToString(f.FunctionName)
			if !strings.HasPrefix(name, awsenv.NamePrefix) {
				continue
			}
			tags, err := dp.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: f.FunctionArn})
			if err != nil {
				if notFound(err) {
					continue
				}
				return out, fmt.Errorf("list tags of function %s: %w", name, err)
			}
			if matches(tags.Tags, runID) {
				out = append(out, dp.resource(KindFunction, name, tags.Tags[deployers.TagRunID]).OwnedBy(tags.Tags[deployers.TagOwner]))
			}
		}
	}
	return out, nil
}

func (dp *Deployer) listRoles(ctx context.Context, runID string) ([]deployers.Resource, error) {
	var out []deployers.Resource
	p := iam.NewListRolesPaginator(dp.iam, &iam.ListRolesInput{PathPrefix: aws.String(RolePath)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list roles: %w", err)
		}
		for _, r := range page.Roles {
			name := aws.ToString(r.RoleName)
			if !strings.HasPrefix(name, awsenv.NamePrefix) {
				continue
			}
			tags, err := dp.iam.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: r.RoleName})
			if err != nil {
				if notFound(err) {
					continue
				}
				return out, fmt.Errorf("list tags of role %s: %w", name, err)
			}
			m := map[string]string{}
			for _, t := range tags.Tags {
				m[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if matches(m, runID) {
				out = append(out, dp.resource(KindRole, name, m[deployers.TagRunID]).OwnedBy(m[deployers.TagOwner]))
			}
		}
	}
	return out, nil
}

func (dp *Deployer) listLogGroups(ctx context.Context, runID string) ([]deployers.Resource, error) {
	var out []deployers.Resource
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(dp.logs, &cloudwatchlogs.DescribeLogGroupsInput{
		LogGroupNamePrefix: aws.String(LogGroupName(awsenv.NamePrefix)),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list log groups: %w", err)
		}
		for _, g := range page.LogGroups {
			// LogGroupArn, unlike Arn, has no ":*" suffix, as
			// ListTagsForResource wants.
			tags, err := dp.logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: g.LogGroupArn})
			if err != nil {
				if notFound(err) {
					continue
				}
				return out, fmt.Errorf("list tags of log group %s: %w", aws.ToString(g.LogGroupName), err)
			}
			if matches(tags.Tags, runID) {
				out = append(out, dp.resource(KindLogGroup, aws.ToString(g.LogGroupName), tags.Tags[deployers.TagRunID]).OwnedBy(tags.Tags[deployers.TagOwner]))
			}
		}
	}
	return out, nil
}

// Sweep removes what List finds, in teardown order (a function's URL
// config with it), and returns what it removed with the errors of what it
// could not remove.
func (dp *Deployer) Sweep(ctx context.Context, runID string) ([]deployers.Resource, error) {
	rs, err := dp.List(ctx, runID)
	if err != nil && len(rs) == 0 {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	errs := []error{err}
	var removed []deployers.Resource
	for _, r := range deployers.InKindOrder(rs, kindOrder...) {
		if r.Kind == KindFunction {
			// The URL config has no tags of its own: it goes with its function.
			_, uerr := dp.lambda.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: &r.ID})
			if uerr = step("delete function url of "+r.ID, uerr); uerr != nil {
				errs = append(errs, uerr)
			}
		}
		if rerr := dp.remove(ctx, r); rerr != nil {
			errs = append(errs, rerr)
			continue
		}
		removed = append(removed, r)
	}
	return removed, errors.Join(errs...)
}
