package ecs

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// createRole creates the task execution role: ECS may pull this repository's
// image and write this log group, nothing else; the permissions boundary
// (awsenv.BoundaryPolicyName, required by the lab policy) caps it whatever
// its policy says.
func (d *Deployer) createRole(ctx context.Context, name string, tags map[string]string, boundary, repoARN, logARN string) (string, error) {
	out, err := d.iam.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		AssumeRolePolicyDocument: aws.String(trustPolicy),
		Description:              aws.String("computeladder ECS task execution role: pull one image, write one log group"),
		MaxSessionDuration:       aws.Int32(3600),
		PermissionsBoundary:      aws.String(boundary),
		Tags:                     iamTags(tags),
	})
	if err != nil {
		return "", fmt.Errorf("create execution role %s: %w (the lab policy allows roles with the permissions boundary %s only: has an administrator created it? see infra/iam/README.md)", name, err, boundary)
	}
	if _, err := d.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName:       aws.String(name),
		PolicyName:     aws.String(name),
		PolicyDocument: aws.String(ExecutionRolePolicy(repoARN, logARN)),
	}); err != nil {
		return "", fmt.Errorf("put execution role policy %s: %w", name, err)
	}
	return aws.ToString(out.Role.Arn), nil
}

const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// ExecutionRolePolicy is the execution role's one inline policy: pull the
// image of repoARN, write the log group logARN. The lab's permissions
// boundary (infra/iam/lab-role-boundary.json) allows no more than this and
// the function role's policy; infra/iam's test holds the two together.
func ExecutionRolePolicy(repoARN, logARN string) string {
	return `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*"},` +
		`{"Effect":"Allow","Action":["ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage"],"Resource":"` + repoARN + `"},` +
		`{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"` + logARN + `:*"}]}`
}

func logGroupARN(region, account, name string) string {
	return "arn:aws:logs:" + region + ":" + account + ":log-group:" + name
}
