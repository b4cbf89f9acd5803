package lockin_test

import (
	"strings"
	"testing"

	"github.com/computeladder/computeladder/harness/kit/kittest"
	lockin "github.com/computeladder/computeladder/labs/lock-in"
)

// TestLockInLabSmoke runs the lab's command on this module: the portable
// app and every adapter, the GCF one included, with the platform package
// each imports.
func TestLockInLabSmoke(t *testing.T) {
	out, err := kittest.Execute(t, lockin.Command())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"app  ", "portable", "app/adapters/lambda", "github.com/aws/aws-lambda-go/", "app/adapters/vm", "app/adapters/container",
		"app/adapters/gcf", "github.com/GoogleCloudPlatform/functions-framework-go/"} {
		if !strings.Contains(out, want) {
			t.Errorf("lockin output lacks %q:\n%s", want, out)
		}
	}
}
