package awslambda

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// trustPolicy lets only the Lambda service assume the role.
const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// logPolicyName is the role's one inline policy.
const logPolicyName = "write-own-logs"

// LogRolePolicy allows writing to the function's own log group only: less than
// AWSLambdaBasicExecutionRole, which allows every log group and creating
// new ones.
func LogRolePolicy(partition, region, account, logGroup string) (string, error) {
	resource := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", partition, region, account, logGroup)
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":   "Allow",
			"Action":   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource": resource,
		}},
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// createRole creates the execution role with the permissions boundary
// boundary: the lab policy allows creating roles with it only, so that a
// role the lab user makes can never do more than the boundary allows.
func (dp *Deployer) createRole(ctx context.Context, runID, logGroup, boundary string, pairs map[string]string, d *deployers.Deployment) (string, error) {
	name := RoleName(runID)
	tags := awsenv.Tags(pairs, func(k, v *string) iamtypes.Tag { return iamtypes.Tag{Key: k, Value: v} })
	out, err := dp.iam.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 &name,
		Path:                     aws.String(RolePath),
		AssumeRolePolicyDocument: aws.String(trustPolicy),
		Description:              aws.String("computeladder lab function " + runID + ": writes its own logs only"),
		MaxSessionDuration:       aws.Int32(3600),
		PermissionsBoundary:      aws.String(boundary),
		Tags:                     tags,
	})
	if err != nil {
		if hint := exists(err, runID); hint != "" {
			return "", fmt.Errorf("create role %s: %w%s", name, err, hint)
		}
		return "", fmt.Errorf("create role %s: %w (the lab policy allows roles named %s* with the permissions boundary %s only: has an administrator created it? see infra/iam/README.md)", name, err, awsenv.NamePrefix, boundary)
	}
	d.Resources = append(d.Resources, dp.resource(KindRole, name, runID))
	roleARN := aws.ToString(out.Role.Arn)
	parsed, err := arn.Parse(roleARN)
	if err != nil {
		return "", fmt.Errorf("role arn %q: %w", roleARN, err)
	}
	doc, err := LogRolePolicy(parsed.Partition, dp.cfg.Region, parsed.AccountID, logGroup)
	if err != nil {
		return "", fmt.Errorf("log policy: %w", err)
	}
	if _, err := dp.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName: &name, PolicyName: aws.String(logPolicyName), PolicyDocument: &doc,
	}); err != nil {
		return "", fmt.Errorf("put role policy on %s: %w", name, err)
	}
	return roleARN, nil
}
