package lockin_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	lockin "github.com/computeladder/computeladder/labs/lock-in"
)

func TestCountLines(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      int
	}{
		{"blank and comments", "// Package p.\npackage p\n\n// doc\n/* block\n   comment */\n", 1},
		{"code with trailing comment", "package p\n\nvar x = 1 // why\n", 2},
		{"comment inside a block", "package p\n\nfunc f() {\n\t// nothing\n}\n", 3},
		{"raw string spans lines", "package p\n\nconst s = `a\n\nb`\n", 4},
		{"string holding //", "package p\n\nvar u = \"http://x\"\n", 2},
		{"block comment before code on a line", "package p\n/* c */ var y = 2\n", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := lockin.CountLines([]byte(tc.src)); got != tc.want {
				t.Errorf("CountLines = %d, want %d\n%s", got, tc.want, tc.src)
			}
		})
	}
}

func TestIsPlatform(t *testing.T) {
	const mod = "example.com/m"
	for imp, want := range map[string]bool{
		"net/http":                            false,
		"log/slog":                            false,
		"example.com/m/app":                   false,
		"example.com/m":                       false,
		"example.com/mx/app":                  true,
		"golang.org/x/image/draw":             false,
		"github.com/jackc/pgx/v5/pgxpool":     false,
		"github.com/aws/aws-lambda-go/lambda": true,
		"github.com/moby/moby/client":         true,
		"cloud.google.com/go/functions":       true,
	} {
		if got := lockin.IsPlatform(imp, mod); got != want {
			t.Errorf("IsPlatform(%q) = %v, want %v", imp, got, want)
		}
	}
}

// tree writes files (slash paths) under a new directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, src := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestAnalyze(t *testing.T) {
	root := tree(t, map[string]string{
		"go.mod":     "module example.com/m\n\ngo 1.26\n",
		"app/app.go": "package app\n\nimport (\n\t\"net/http\"\n\t\"golang.org/x/image/draw\"\n)\n\nvar _ = http.StatusOK\nvar _ = draw.Src\n",
		// a second portable package, and what must not count
		"app/pricing/pricing.go":          "package pricing\n\nfunc Price() int { return 1 }\n",
		"app/app_test.go":                 "package app\n\nimport \"github.com/aws/x\"\n",
		"app/apptest/apptest.go":          "package apptest\n\nimport \"github.com/moby/moby/client\"\n",
		"app/testdata/gen.go":             "package main\n\nimport \"github.com/aws/y\"\n",
		"app/adapters/vm/main.go":         "package main\n\nimport \"example.com/m/app/adapters/shared\"\n\nfunc main() { shared.Serve() }\n",
		"app/adapters/shared/shared.go":   "package shared\n\nfunc Serve() {}\n",
		"app/adapters/fn/main.go":         "package main\n\nimport (\n\t\"example.com/m/app/adapters/fn/conv\"\n\t\"github.com/aws/aws-lambda-go/lambda\"\n)\n\nfunc main() { lambda.Start(conv.H) }\n",
		"app/adapters/fn/conv/conv.go":    "package conv\n\nimport \"github.com/aws/aws-lambda-go/events\"\n\nvar H = func(events.LambdaFunctionURLRequest) {}\n",
		"app/adapters/fn/gw/gw.go":        "package gw\n\nimport \"github.com/other/sdk\"\n\nfunc Encode() {}\n",
		"app/adapters/internal/pt/pt.go":  "package proctest\n\nfunc Start() {}\n",
		"app/adapters/fn/testdata/x.json": "{}",
		// a platform that compiles its own main: the adapter is a package
		// that registers the function, plus a local runner under cmd/
		"app/adapters/gf/gf.go":       "package gf\n\nimport \"github.com/g/ff/functions\"\n\nfunc init() { functions.HTTP() }\n",
		"app/adapters/gf/cmd/main.go": "package main\n\nimport (\n\t_ \"example.com/m/app/adapters/gf\"\n\t\"github.com/g/ff/funcframework\"\n)\n\nfunc main() { funcframework.Start() }\n",
	})
	got, err := lockin.Analyze(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []lockin.Component{
		{Name: "app", Dir: "app", Lines: 9, Files: 2},
		{Name: "vm", Dir: "app/adapters/vm", Adapter: true, Lines: 3, Files: 1},
		{Name: "fn", Dir: "app/adapters/fn", Adapter: true, Lines: 9, Files: 2,
			PlatformImports: []string{"github.com/aws/aws-lambda-go/events", "github.com/aws/aws-lambda-go/lambda"}},
		{Name: "gf", Dir: "app/adapters/gf", Adapter: true, Lines: 9, Files: 2,
			PlatformImports: []string{"github.com/g/ff/funcframework", "github.com/g/ff/functions"}},
		{Name: "shared", Dir: "app/adapters/shared", Adapter: true, Shared: true, Lines: 2, Files: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Analyze =\n%+v\nwant\n%+v", got, want)
	}
}

// TestModuleListsEveryAdapter runs on this module's own tree: every adapter
// with a main package is listed as an adapter, not a shared helper, and the
// Google Cloud Functions adapter (the lock-in lab's fourth platform) shows
// its platform imports and stays thin.
func TestModuleListsEveryAdapter(t *testing.T) {
	comps, err := lockin.Analyze(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]lockin.Component{}
	for _, c := range comps {
		byName[c.Name] = c
	}
	for _, name := range []string{"vm", "container", "lambda", "gcf"} {
		if c, ok := byName[name]; !ok || !c.Adapter || c.Shared {
			t.Errorf("adapter %s: %+v (listed: %v), want an adapter that is not a shared helper", name, c, ok)
		}
	}
	gcf := byName["gcf"]
	if !slices.Contains(gcf.PlatformImports, "github.com/GoogleCloudPlatform/functions-framework-go/functions") ||
		!slices.Contains(gcf.PlatformImports, "github.com/GoogleCloudPlatform/functions-framework-go/funcframework") {
		t.Errorf("gcf platform imports = %q, want the Functions Framework's functions and funcframework", gcf.PlatformImports)
	}
	if app := byName["app"]; gcf.Lines == 0 || gcf.Lines > 60 || gcf.Lines*10 > app.Lines {
		t.Errorf("gcf adapter is %d lines (app %d), want 1..60 and under a tenth of the app", gcf.Lines, app.Lines)
	}
	var out strings.Builder
	if err := lockin.Write(&out, comps); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^app/adapters/gcf +\d+ +github\.com/GoogleCloudPlatform/functions-framework-go/\{funcframework,functions\} +thin: `).MatchString(out.String()) {
		t.Errorf("lockin output does not list the gcf adapter as thin:\n%s", out.String())
	}
}

func TestVerdictFlagsLockIn(t *testing.T) {
	app := lockin.Component{Name: "app", Lines: 100}
	for _, tc := range []struct {
		c    lockin.Component
		want string
	}{
		{app, "portable"},
		{lockin.Component{Name: "app", PlatformImports: []string{"github.com/aws/aws-sdk-go-v2/service/s3"}}, "LOCKED IN"},
		{lockin.Component{Adapter: true, Lines: 25, PlatformImports: []string{"github.com/aws/aws-lambda-go/lambda"}}, "rewrites 25 lines (25% of the app)"},
		{lockin.Component{Adapter: true, Lines: 25}, "neutral"},
		{lockin.Component{Adapter: true, Shared: true}, "shared helper"},
	} {
		if got := lockin.Verdict(tc.c, app); !strings.Contains(got, tc.want) {
			t.Errorf("Verdict(%+v) = %q, want it to say %q", tc.c, got, tc.want)
		}
	}
}

func TestAnalyzeNeedsGoMod(t *testing.T) {
	if _, err := lockin.Analyze(t.TempDir()); err == nil || !strings.Contains(err.Error(), "module root") {
		t.Errorf("Analyze(no go.mod) = %v, want an error that says to run from the module root", err)
	}
}

func ExampleWrite() {
	_ = lockin.Write(os.Stdout, []lockin.Component{
		{Name: "app", Dir: "app", Lines: 800},
		{Name: "container", Dir: "app/adapters/container", Adapter: true, Lines: 40},
		{Name: "lambda", Dir: "app/adapters/lambda", Adapter: true, Lines: 120,
			PlatformImports: []string{"github.com/aws/aws-lambda-go/events", "github.com/aws/aws-lambda-go/lambda"}},
	})
	// Output:
	// COMPONENT               GO LINES  PLATFORM IMPORTS                              VERDICT
	// app                     800       -                                             portable: no platform import
	// app/adapters/container  40        -                                             neutral: runs wherever a Linux binary runs
	// app/adapters/lambda     120       github.com/aws/aws-lambda-go/{events,lambda}  thin: leaving the platform rewrites 120 lines (15% of the app)
	//
	// The app's 800 lines are written once; moving platforms rewrites one adapter, at most 120 lines (15% of the app).
}
