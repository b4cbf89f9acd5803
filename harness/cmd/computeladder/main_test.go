package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestLockin(t *testing.T) {
	out, err := run(t, "lockin")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"app  ", "portable", "app/adapters/lambda", "github.com/aws/aws-lambda-go/", "app/adapters/vm", "app/adapters/container"} {
		if !strings.Contains(out, want) {
			t.Errorf("lockin output lacks %q:\n%s", want, out)
		}
	}
}

func TestBadInputCreatesNothing(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "--arch", "riscv64", "--out", t.TempDir()}, "use amd64 or arm64"},
		{[]string{"build", "extra"}, "unknown command"},
		{[]string{"lockin", "--bogus"}, "unknown flag"},
	} {
		_, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("computeladder %s: error %v, want %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}
