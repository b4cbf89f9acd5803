package app_test

import (
	"bytes"
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// platformPrefixes are the import paths the portable app must never reach,
// directly or through a dependency: cloud SDKs and container runtimes belong
// in app/adapters and deployers.
var platformPrefixes = []string{
	"github.com/aws/",
	"github.com/docker/",
	"github.com/moby/",
	"github.com/testcontainers/",
	// Google Cloud Functions: the framework the gcf adapter registers with,
	// and what it brings (CloudEvents, the GCF metadata package).
	"github.com/GoogleCloudPlatform/",
	"cloud.google.com/",
	"github.com/cloudevents/",
}

// TestAppIsPortable is the lock-in guard: every package under app/, except
// the adapters, must build without any platform package.
func TestAppIsPortable(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: runs go list (-short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var roots []string
	for _, p := range goList(t, ctx, "-f", "{{.ImportPath}}", "./...") {
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
	for _, chain := range platformChains(graph, roots) {
		t.Errorf("the portable app reaches a platform package: %s\n\tmove that code into an adapter under app/adapters", strings.Join(chain, " -> "))
	}
}

func goList(t *testing.T, ctx context.Context, args ...string) []string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", append([]string{"list"}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// platformChains returns, for each platform package reachable from roots
// in the import graph, the shortest import chain from a root to it.
func platformChains(graph map[string][]string, roots []string) [][]string {
	parent := map[string]string{}
	seen := map[string]bool{}
	queue := slices.Clone(roots)
	for _, r := range roots {
		seen[r] = true
	}
	var chains [][]string
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if isPlatform(p) {
			chain := []string{p}
			for q := p; parent[q] != ""; q = parent[q] {
				chain = append([]string{parent[q]}, chain...)
			}
			chains = append(chains, chain)
			continue // its own imports are the platform's business
		}
		for _, imp := range graph[p] {
			if !seen[imp] {
				seen[imp], parent[imp] = true, p
				queue = append(queue, imp)
			}
		}
	}
	return chains
}

func isPlatform(importPath string) bool {
	for _, prefix := range platformPrefixes {
		if strings.HasPrefix(importPath, prefix) {
			return true
		}
	}
	return false
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
			got := platformChains(graph, tc.roots)
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("platformChains = %q, want %q", got, tc.want)
			}
		})
	}
}
