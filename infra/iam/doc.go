// Package iam holds the lab user's least-privilege IAM policy,
// lab-user-policy.json, and the test that keeps it equal to what the cloud
// deployers call: the test reads their Go source, extracts the AWS SDK
// operations they use and fails when the policy misses one or grants one
// that nobody calls. Add an action here only together with the code that
// calls it.
package iam
