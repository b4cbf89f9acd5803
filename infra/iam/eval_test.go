package iam

import (
	"path"
	"slices"
	"strings"
	"testing"
)

// This file evaluates the lab policies as IAM does for the requests the
// deployers send — far enough to hold the policies to what AWS documents:
// moto, which the deployers are tested against, evaluates no policy at
// all. The evaluator knows the condition operators the policies use and
// fails on any other.
//
// IAM's rules it follows
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
// reference_policies_elements_condition_operators.html, read 2026-11-30):
// a request is allowed when one Allow statement matches its action and
// resource and all of that statement's conditions hold; all keys of one
// operator must hold; a condition on a key the request does not carry
// fails; a multi-valued policy value matches when any of its values does;
// * and ? are wildcards in resources and in the *Like operators;
// ${aws:username} in a resource is the request's aws:username.

// request is one authorization AWS makes: an action on a resource, with
// the request's condition keys.
type request struct {
	action   string
	resource string
	ctx      map[string][]string
}

// decision is whether req is allowed, and by which statement.
func decision(t *testing.T, stmts []statement, req request) (bool, string) {
	t.Helper()
	for _, s := range stmts {
		if s.Effect != "Allow" || !slices.ContainsFunc(s.Action, func(a string) bool { return strings.EqualFold(a, req.action) }) {
			continue
		}
		if !slices.ContainsFunc(s.Resource, func(r string) bool { return resourceMatches(r, req) }) {
			continue
		}
		if conditionsHold(t, s, req) {
			return true, s.Sid
		}
	}
	return false, ""
}

func resourceMatches(pattern string, req request) bool {
	if u := req.ctx["aws:username"]; len(u) == 1 {
		pattern = strings.ReplaceAll(pattern, "${aws:username}", u[0])
	}
	return glob(pattern, req.resource)
}

// glob matches IAM's wildcards: * any run of characters (slashes too), ?
// one character.
func glob(pattern, s string) bool {
	// path.Match's * stops at '/', IAM's does not: match on a string
	// whose slashes are out of the way.
	const slash = "\x00"
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", slash), strings.ReplaceAll(s, "/", slash))
	return err == nil && ok
}

func conditionsHold(t *testing.T, s statement, req request) bool {
	t.Helper()
	for op, keys := range s.Condition {
		var match func(policy, value string) bool
		switch op {
		case "StringEquals", "ArnEquals":
			match = func(p, v string) bool { return p == v }
		case "StringLike", "ArnLike":
			match = glob
		default:
			t.Fatalf("statement %s: condition operator %s: teach the evaluator its documented semantics first", s.Sid, op)
		}
		for key, want := range keys {
			got, present := req.ctx[key]
			if !present {
				return false
			}
			ok := slices.ContainsFunc(got, func(v string) bool {
				return slices.ContainsFunc(want, func(p string) bool { return match(p, v) })
			})
			if !ok {
				return false
			}
		}
	}
	return true
}

func TestEvaluatorFollowsIAMRules(t *testing.T) {
	stmts := []statement{
		{Sid: "Tagged", Effect: "Allow", Action: stringList{"ec2:RunInstances"}, Resource: stringList{"arn:aws:ec2:*:*:instance/*"},
			Condition: map[string]map[string]stringList{
				"StringLike":   {"aws:RequestTag/k": {"?*"}},
				"StringEquals": {"ec2:InstanceType": {"t3.micro", "t3.nano"}},
			}},
		{Sid: "Self", Effect: "Allow", Action: stringList{"iam:SimulatePrincipalPolicy"}, Resource: stringList{"arn:aws:iam::*:user/${aws:username}"}},
	}
	inst := "arn:aws:ec2:us-east-1:1:instance/*"
	for _, tc := range []struct {
		name string
		req  request
		want bool
	}{
		{"all conditions hold", request{"ec2:RunInstances", inst, map[string][]string{"aws:RequestTag/k": {"v"}, "ec2:InstanceType": {"t3.nano"}}}, true},
		{"key missing", request{"ec2:RunInstances", inst, map[string][]string{"ec2:InstanceType": {"t3.nano"}}}, false},
		{"empty tag value", request{"ec2:RunInstances", inst, map[string][]string{"aws:RequestTag/k": {""}, "ec2:InstanceType": {"t3.nano"}}}, false},
		{"value not listed", request{"ec2:RunInstances", inst, map[string][]string{"aws:RequestTag/k": {"v"}, "ec2:InstanceType": {"m5.large"}}}, false},
		{"other resource type", request{"ec2:RunInstances", "arn:aws:ec2:us-east-1:1:volume/*", map[string][]string{"aws:RequestTag/k": {"v"}, "ec2:InstanceType": {"t3.nano"}}}, false},
		{"other action", request{"ec2:CreateVolume", inst, map[string][]string{"aws:RequestTag/k": {"v"}, "ec2:InstanceType": {"t3.nano"}}}, false},
		{"own user", request{"iam:SimulatePrincipalPolicy", "arn:aws:iam::1:user/ann", map[string][]string{"aws:username": {"ann"}}}, true},
		{"another user", request{"iam:SimulatePrincipalPolicy", "arn:aws:iam::1:user/bob", map[string][]string{"aws:username": {"ann"}}}, false},
	} {
		if got, _ := decision(t, stmts, tc.req); got != tc.want {
			t.Errorf("%s: allowed = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !glob("arn:aws:iam::*:role/computeladder*", "arn:aws:iam::1:role/computeladder/computeladder-r-lambda") {
		t.Error("* must match across slashes, as IAM's does")
	}
}
