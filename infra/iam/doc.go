// Package iam holds the lab user's least-privilege IAM policies
// (lab-user-policy.json and lab-user-policy-ecs-lambda.json: two, because
// a managed policy holds at most 6,144 characters), the permissions
// boundary every role the lab creates carries (lab-role-boundary.json), and
// the tests that keep them equal to what the code does:
//
//   - the grants are exactly the AWS SDK operations the cloud deployers and
//     `computeladder doctor` call, read from their Go source;
//   - every create call, read from the requests the deployers build, is
//     allowed for each resource type it creates, with the tags the code puts
//     on that type (RunInstances is authorized per created type), or
//     untagged where the policy allows that on purpose;
//   - what must be refused is: other instance types and regions, untagged
//     security groups, roles without the boundary, changes to roles that
//     lack it, boundary and policy writes, other service-linked roles,
//     simulating other users;
//   - the boundary allows the roles' own policies and nothing more;
//   - doctor checks, by a call or a simulation, every action granted.
//
// The tests evaluate the policies as IAM documents it (eval_test.go): moto,
// which the deployers run against, evaluates none. README.md is the
// administrator's one-time setup. Add an action only together with the code
// that calls it.
package iam
