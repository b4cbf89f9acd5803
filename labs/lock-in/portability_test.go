package lockin_test

import (
	"bytes"
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	lockin "github.com/computeladder/computeladder/labs/lock-in"
)

// TestAppIsPortable is the lock-in guard: every package under app/, except
// the adapters, must build without reaching a platform package (IsPlatform:
// anything but the standard library, golang.org/x, the module itself and
// portable libraries such as a database driver), directly or transitively.
func TestAppIsPortable(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: runs go list (-short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var roots []string
	module := goList(t, ctx, "-m")[0]
	for _, p := range goList(t, ctx, "-f", "{{.ImportPath}}", "./app/...") {
		if !strings.Contains(p+"/", "/app/adapters/") {
			roots = append(roots, p)
		}
	}
	if len(roots) == 0 {
		t.Fatal("go list ./... found no app packages")
	}
	graph := map[string][]string{}
	for _, line := range goList(t, ctx, append([]string{"-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}, roots...)...) {
		f := strings.Fields(line)
		graph[f[0]] = f[1:]
	}
	for _, chain := range lockin.PlatformChains(graph, roots, module) {
		t.Errorf("the portable app reaches a platform package: %s\n\tmove that code into an adapter under app/adapters", strings.Join(chain, " -> "))
	}
}

func goList(t *testing.T, ctx context.Context, args ...string) []string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", append([]string{"list"}, args...)...)
	cmd.Dir = "../.." // the module root, from labs/lock-in
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func TestPlatformChains(t *testing.T) {
	const mod = "github.com/computeladder/computeladder"
	graph := map[string][]string{
		mod + "/app":         {"net/http", mod + "/app/pricing", "golang.org/x/image/draw"},
		mod + "/app/pricing": {"strings", mod + "/app/store"},
		mod + "/app/store":   {"github.com/aws/aws-sdk-go-v2/service/dynamodb"},
		mod + "/app/apptest": {"testing", "github.com/moby/moby/client"},
		mod + "/app/clean":   {"fmt", "golang.org/x/image/draw"},
		"github.com/aws/aws-sdk-go-v2/service/dynamodb": {"github.com/aws/smithy-go"},
		"golang.org/x/image/draw":                       {"image"},
		mod + "/app/gcfish":                             {"net/http", "github.com/GoogleCloudPlatform/functions-framework-go/functions"},
	}
	for _, tc := range []struct {
		name  string
		roots []string
		want  [][]string
	}{
		{"clean", []string{mod + "/app/clean"}, nil},
		{"through two packages", []string{mod + "/app"}, [][]string{
			{mod + "/app", mod + "/app/pricing", mod + "/app/store", "github.com/aws/aws-sdk-go-v2/service/dynamodb"},
		}},
		{"direct, from a second root", []string{mod + "/app", mod + "/app/apptest"}, [][]string{
			{mod + "/app/apptest", "github.com/moby/moby/client"},
			{mod + "/app", mod + "/app/pricing", mod + "/app/store", "github.com/aws/aws-sdk-go-v2/service/dynamodb"},
		}},
		{"x/image is not a platform", []string{"golang.org/x/image/draw"}, nil},
		{"google cloud functions", []string{mod + "/app/gcfish"}, [][]string{
			{mod + "/app/gcfish", "github.com/GoogleCloudPlatform/functions-framework-go/functions"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := lockin.PlatformChains(graph, tc.roots, mod)
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("PlatformChains = %q, want %q", got, tc.want)
			}
		})
	}
}
