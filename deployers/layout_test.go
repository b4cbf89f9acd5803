package deployers_test

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// backends are the packages under deployers/ that each deploy to one
// platform. Everything else under deployers/ is shared by them.
var (
	backends = []string{"awslambda", "docker", "ec2", "ecs", "qemu", "rie"}
	shared   = []string{"artifact", "awsenv", "deployertest", "internal"}
)

// modulePath reads the module path from the go.mod one directory up.
func modulePath(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if m, ok := strings.CutPrefix(s.Text(), "module "); ok {
			return strings.TrimSpace(m)
		}
	}
	t.Fatal("go.mod names no module")
	return ""
}

// goFiles lists the Go files under dir, skipping testdata (fixtures that
// are programs of their own) and the directories skip names.
func goFiles(t *testing.T, dir string, skip func(path string) bool) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			name := e.Name()
			if path != dir && (name == "testdata" || strings.HasPrefix(name, ".") || skip(path)) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestEveryPackageIsABackendOrShared keeps the lists above complete, so
// that a new backend is checked too.
func TestEveryPackageIsABackendOrShared(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(backends, e.Name()) && !slices.Contains(shared, e.Name()) {
			t.Errorf("deployers/%s is neither a backend nor shared: add it to one list in this file", e.Name())
		}
	}
}

// TestBackendsDoNotImportEachOther: no file of a backend (its tests
// included) imports another backend, and no shared package's code does;
// what backends share lives in a shared package (deployers/internal/engine
// for those that run on a Docker engine). A shared package's external tests
// (package x_test) may compare backends.
func TestBackendsDoNotImportEachOther(t *testing.T) {
	mod := modulePath(t)
	backendOf := func(importPath string) string {
		rest, ok := strings.CutPrefix(importPath, mod+"/deployers/")
		if !ok {
			return ""
		}
		first, _, _ := strings.Cut(rest, "/")
		if slices.Contains(backends, first) {
			return first
		}
		return ""
	}
	check := func(file, owner string, skipXTest bool) {
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		if skipXTest && strings.HasSuffix(f.Name.Name, "_test") {
			return
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if b := backendOf(p); b != "" && b != owner {
				t.Errorf("%s imports backend %s: move what they share into deployers/internal", file, p)
			}
		}
	}
	none := func(string) bool { return false }
	for _, b := range backends {
		for _, file := range goFiles(t, b, none) {
			check(file, b, false)
		}
	}
	for _, s := range shared {
		for _, file := range goFiles(t, s, none) {
			check(file, "", true)
		}
	}
	root, _ := filepath.Glob("*.go")
	for _, file := range root {
		check(file, "", true)
	}
}

// detailReads returns where f reads a Details map by key (x.Details[k] in
// an expression, not as the target of an assignment).
func detailReads(fset *token.FileSet, f *ast.File) []token.Position {
	written := map[ast.Expr]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if a, ok := n.(*ast.AssignStmt); ok {
			for _, l := range a.Lhs {
				written[l] = true
			}
		}
		return true
	})
	var out []token.Position
	ast.Inspect(f, func(n ast.Node) bool {
		ix, ok := n.(*ast.IndexExpr)
		if !ok || written[ix] {
			return true
		}
		if sel, ok := ix.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "Details" {
			out = append(out, fset.Position(ix.Pos()))
		}
		return true
	})
	return out
}

// TestDetailsAreReadOnlyByTheirBackend: Details maps are for display.
// Outside the backend that wrote them, no code of the module (tests
// included) reads a value from one by key; what another package relies on
// is a typed field of Deployment.
func TestDetailsAreReadOnlyByTheirBackend(t *testing.T) {
	root := ".."
	inBackend := func(path string) bool {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return false
		}
		for _, b := range backends {
			if rel == filepath.Join("deployers", b) {
				return true
			}
		}
		return false
	}
	files := goFiles(t, root, inBackend)
	if len(files) < 50 {
		t.Fatalf("found %d Go files under the module root, want the whole module", len(files))
	}
	for _, file := range files {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range detailReads(fset, f) {
			t.Errorf("%s reads Details by key: make the value a typed field of deployers.Deployment", at)
		}
	}
}

// TestDetailReadsFindsReadsOnly checks the scan itself on a file that
// reads, writes and ranges over Details.
func TestDetailReadsFindsReadsOnly(t *testing.T) {
	const src = `package p

func f(d *D, vr *V) (string, int) {
	d.Details["shown"] = "x"
	for k, v := range d.Details {
		_, _ = k, v
	}
	mb := vr.Details["memory_mb"]
	return mb, len(d.Details)
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := detailReads(fset, f)
	if len(got) != 1 || got[0].Line != 8 {
		t.Errorf("reads found at %v, want one, on line 8", got)
	}
}
