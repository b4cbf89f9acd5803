package doctor

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
	"github.com/computeladder/computeladder/deployers/awslambda"
	"github.com/computeladder/computeladder/deployers/ecs"
)

// Simulation is one iam:SimulatePrincipalPolicy request: actions a run
// calls on a resource like the one it creates, with the condition keys the
// lab policy uses set as a run sets them.
type Simulation struct {
	Actions  []string
	Resource string
	Context  map[string][]string
}

// Exercised lists the actions doctor checks by calling them for real (the
// dry runs included, which AWS authorizes as the real requests, the
// ec2:CreateTags of their tags too): everything else the lab policy grants
// is simulated. infra/iam's test holds the two lists to the policy.
var Exercised = []string{
	"sts:GetCallerIdentity",
	"ec2:RunInstances", "ec2:CreateSecurityGroup", "ec2:CreateTags",
	"ec2:DescribeImages", "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
	"ssm:GetParameter",
	"iam:SimulatePrincipalPolicy", "iam:GetRole", "iam:GetPolicy",
	"lambda:GetAccountSettings",
}

// simulatedName names the stand-in resources of the simulation.
const simulatedName = awsenv.NamePrefix + "doctor"

// Simulations are the requests doctor simulates for an account in region.
// The tag, boundary, service and cluster values are the ones the deployers
// send, from their own constants.
func Simulations(partition, account, region string) []Simulation {
	arn := func(service, resource string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", partition, service, region, account, resource)
	}
	tagged := map[string][]string{"aws:RequestTag/" + deployers.TagRunID: {"doctor"}}
	ownTag := map[string][]string{"aws:ResourceTag/" + deployers.TagRunID: {"doctor"}}
	boundary := map[string][]string{"iam:PermissionsBoundary": {awsenv.BoundaryARN(partition, account)}}
	role := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, simulatedName)
	lambdaRole := fmt.Sprintf("arn:%s:iam::%s:role%s%s", partition, account, awslambda.RolePath, awslambda.RoleName("doctor"))
	fn := arn("lambda", "function:"+simulatedName)
	logGroup := arn("logs", "log-group:"+simulatedName)
	fnLogGroup := arn("logs", "log-group:"+awslambda.LogGroupName(simulatedName))
	repo := arn("ecr", "repository/"+simulatedName)
	cluster := arn("ecs", "cluster/"+simulatedName)
	bucket := fmt.Sprintf("arn:%s:s3:::%s", partition, simulatedName)
	with := func(m ...map[string][]string) map[string][]string {
		out := map[string][]string{}
		for _, x := range m {
			for k, v := range x {
				out[k] = v
			}
		}
		return out
	}
	return []Simulation{
		{Actions: []string{"ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "s3:ListAllMyBuckets", "iam:ListRoles",
			"lambda:ListFunctions", "logs:DescribeLogGroups", "ecr:GetAuthorizationToken", "ecr:DescribeRepositories",
			"ecs:ListClusters", "ecs:ListTasks", "ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition",
			"ecs:DeregisterTaskDefinition", "ecs:DeleteTaskDefinitions"}, Resource: "*"},
		{Actions: []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:DeleteSecurityGroup"}, Resource: arn("ec2", "security-group/sg-0doctor"), Context: ownTag},
		{Actions: []string{"ec2:TerminateInstances"}, Resource: arn("ec2", "instance/i-0doctor"), Context: ownTag},
		{Actions: []string{"s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:PutBucketPublicAccessBlock",
			"s3:GetBucketTagging", "s3:PutBucketTagging", "s3:PutLifecycleConfiguration"}, Resource: bucket},
		{Actions: []string{"s3:PutObject", "s3:GetObject", "s3:DeleteObject"}, Resource: bucket + "/vm/computeladder-vm"},
		{Actions: []string{"iam:CreateRole"}, Resource: role, Context: with(tagged, boundary)},
		{Actions: []string{"iam:CreateRole"}, Resource: lambdaRole, Context: with(tagged, boundary)},
		{Actions: []string{"iam:TagRole"}, Resource: role, Context: tagged},
		{Actions: []string{"iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:DetachRolePolicy"}, Resource: role, Context: boundary},
		{Actions: []string{"iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListRoleTags", "iam:DeleteRole"}, Resource: lambdaRole},
		{Actions: []string{"iam:PassRole"}, Resource: lambdaRole, Context: map[string][]string{"iam:PassedToService": {"lambda.amazonaws.com"}}},
		{Actions: []string{"iam:PassRole"}, Resource: role, Context: map[string][]string{"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}},
		{Actions: []string{"iam:CreateServiceLinkedRole"}, Resource: fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/ecs.amazonaws.com/%s", partition, account, ecs.ServiceLinkedRoleName),
			Context: map[string][]string{"iam:AWSServiceName": {"ecs.amazonaws.com"}}},
		{Actions: []string{"lambda:CreateFunction", "lambda:TagResource"}, Resource: fn, Context: tagged},
		{Actions: []string{"lambda:GetFunctionConfiguration", "lambda:UpdateFunctionConfiguration", "lambda:CreateFunctionUrlConfig",
			"lambda:DeleteFunctionUrlConfig", "lambda:AddPermission", "lambda:InvokeFunction", "lambda:InvokeFunctionUrl",
			"lambda:ListTags", "lambda:DeleteFunction"}, Resource: fn},
		{Actions: []string{"logs:CreateLogGroup", "logs:TagResource"}, Resource: logGroup, Context: tagged},
		{Actions: []string{"logs:CreateLogGroup", "logs:TagResource"}, Resource: fnLogGroup, Context: tagged},
		{Actions: []string{"logs:PutRetentionPolicy", "logs:FilterLogEvents", "logs:ListTagsForResource", "logs:DeleteLogGroup"}, Resource: fnLogGroup},
		{Actions: []string{"ecr:CreateRepository", "ecr:TagResource"}, Resource: repo, Context: tagged},
		{Actions: []string{"ecr:ListTagsForResource", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
			"ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:DeleteRepository"}, Resource: repo},
		{Actions: []string{"ecs:CreateCluster"}, Resource: cluster, Context: tagged},
		{Actions: []string{"ecs:RegisterTaskDefinition"}, Resource: arn("ecs", "task-definition/"+simulatedName+":1"), Context: tagged},
		{Actions: []string{"ecs:TagResource"}, Resource: cluster, Context: map[string][]string{"ecs:CreateAction": {"CreateCluster"}}},
		{Actions: []string{"ecs:RunTask"}, Resource: arn("ecs", "task-definition/"+simulatedName+":1"), Context: map[string][]string{"ecs:cluster": {cluster}}},
		{Actions: []string{"ecs:DescribeClusters", "ecs:DeleteCluster"}, Resource: cluster},
		{Actions: []string{"ecs:DescribeTasks", "ecs:StopTask"}, Resource: arn("ecs", "task/"+simulatedName+"/0doctor")},
	}
}

// contextEntries turns a simulation's context into IAM's form.
func contextEntries(m map[string][]string) []iamtypes.ContextEntry {
	var out []iamtypes.ContextEntry
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t := iamtypes.ContextKeyTypeEnumString
		if len(m[k]) > 1 {
			t = iamtypes.ContextKeyTypeEnumStringList
		}
		out = append(out, iamtypes.ContextEntry{ContextKeyName: aws.String(k), ContextKeyType: t, ContextKeyValues: m[k]})
	}
	return out
}
