// Package lockin measures the thin-adapter answer to vendor lock-in: the
// business logic is one portable package, each platform is a thin adapter,
// so moving platforms rewrites only an adapter. It counts the Go lines of
// the app and of each adapter and lists the platform packages each imports,
// from the source tree itself, so the figures cannot drift from the code.
package lockin

import (
	"bufio"
	"errors"
	"fmt"
	"go/parser"
	"go/scanner"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Component is the portable app, one adapter, or a helper the adapters share.
type Component struct {
	Name string `json:"name"` // "app", "vm", "container", "lambda", "gcf", "httpserve"
	Dir  string `json:"dir"`  // slash-separated, relative to the module root
	// Adapter is false for the portable app.
	Adapter bool `json:"adapter"`
	// Shared is true for a helper the adapters share (no main package).
	Shared bool `json:"shared,omitempty"`
	// Lines counts the non-blank, non-comment Go lines of its packages,
	// tests and test-support packages excluded.
	Lines int `json:"lines"`
	Files int `json:"files"`
	// PlatformImports are the direct imports outside the standard library,
	// the module itself and golang.org/x, sorted.
	PlatformImports []string `json:"platform_imports"`
}

// Analyze measures the app (app/, adapters excluded) and each directory
// under app/adapters of the module rooted at root. An adapter whose
// directory holds a main package counts only the packages that main links:
// helpers beside it that never ship (a test gateway) are not lock-in. One
// whose main is in a sub-directory (gcf/cmd, a local runner beside the
// package the platform links) counts everything under its directory.
func Analyze(root string) ([]Component, error) {
	module, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	pkgs, err := scan(root, module)
	if err != nil {
		return nil, err
	}
	app := Component{Name: "app", Dir: "app"}
	for dir, p := range pkgs {
		if within(dir, "app") && !within(dir, "app/adapters") {
			app.add(p)
		}
	}
	comps := []Component{app}
	entries, err := os.ReadDir(filepath.Join(root, "app", "adapters"))
	if err != nil {
		return nil, fmt.Errorf("lockin: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c := Component{Name: e.Name(), Dir: "app/adapters/" + e.Name(), Adapter: true}
		c.Shared = !hasMain(pkgs, c.Dir)
		for _, dir := range linked(pkgs, module, c.Dir) {
			c.add(pkgs[dir])
		}
		if c.Files > 0 { // test support only (internal/proctest) is not a component
			comps = append(comps, c)
		}
	}
	slices.SortStableFunc(comps, func(a, b Component) int { return rank(a) - rank(b) })
	return comps, nil
}

// rank orders the table: the app, the adapters in ladder order, the rest.
func rank(c Component) int {
	switch {
	case !c.Adapter:
		return 0
	case c.Shared:
		return 5
	}
	if i := slices.Index([]string{"vm", "container", "lambda"}, c.Name); i >= 0 {
		return 1 + i
	}
	return 4
}

// pkg is one directory's production Go files.
type pkg struct {
	main     bool
	files    int
	lines    int
	platform []string // platform imports
	local    []string // imports of this module, as directories relative to root
}

func (c *Component) add(p *pkg) {
	c.Files += p.files
	c.Lines += p.lines
	for _, imp := range p.platform {
		if !slices.Contains(c.PlatformImports, imp) {
			c.PlatformImports = append(c.PlatformImports, imp)
		}
	}
	slices.Sort(c.PlatformImports)
}

// linked returns the package directories under dir that ship: everything
// when dir holds no main package, else what its main imports, transitively.
func linked(pkgs map[string]*pkg, module, dir string) []string {
	var all []string
	for d := range pkgs {
		if within(d, dir) {
			all = append(all, d)
		}
	}
	if p := pkgs[dir]; p == nil || !p.main {
		return all
	}
	seen := map[string]bool{dir: true}
	for queue := []string{dir}; len(queue) > 0; queue = queue[1:] {
		for _, imp := range pkgs[queue[0]].local {
			if within(imp, dir) && pkgs[imp] != nil && !seen[imp] {
				seen[imp] = true
				queue = append(queue, imp)
			}
		}
	}
	return slices.Collect(maps.Keys(seen))
}

// hasMain reports whether a main package lives in dir or below it: an
// adapter whose platform compiles its own main (Google Cloud Functions
// imports a registering package) keeps only a local runner in a sub-directory,
// and is still an adapter, not a shared helper.
func hasMain(pkgs map[string]*pkg, dir string) bool {
	for d, p := range pkgs {
		if within(d, dir) && p.main {
			return true
		}
	}
	return false
}

func within(dir, parent string) bool { return dir == parent || strings.HasPrefix(dir, parent+"/") }

// scan reads every production Go file under root/app: tests, testdata and
// test-support packages (apptest, proctest: they ship in no artifact) are
// left out.
func scan(root, module string) (map[string]*pkg, error) {
	pkgs := map[string]*pkg{}
	err := filepath.WalkDir(filepath.Join(root, "app"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		if strings.HasSuffix(f.Name.Name, "test") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		dir := filepath.ToSlash(rel)
		p := pkgs[dir]
		if p == nil {
			p = &pkg{}
			pkgs[dir] = p
		}
		p.main = p.main || f.Name.Name == "main"
		p.files++
		p.lines += CountLines(src)
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case IsPlatform(path, module):
				if !slices.Contains(p.platform, path) {
					p.platform = append(p.platform, path)
				}
			case strings.HasPrefix(path, module+"/"):
				p.local = append(p.local, strings.TrimPrefix(path, module+"/"))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lockin: %w", err)
	}
	return pkgs, nil
}

// CountLines counts the lines of Go source that hold code: not blank, not
// only a comment. A raw string spanning lines counts every line.
func CountLines(src []byte) int {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, 0) // comments are skipped
	lines := map[int]bool{}
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue // inserted at a line end, not written
		}
		first := fset.Position(pos).Line
		last := first + strings.Count(lit, "\n")
		for l := first; l <= last; l++ {
			lines[l] = true
		}
	}
	return len(lines)
}

// portableLibraries tie code to a service, not to a compute platform: a
// database driver speaks to PostgreSQL the same from a VM, a container or a
// function, so moving platforms does not rewrite it.
var portableLibraries = []string{"github.com/jackc/pgx/"}

// IsPlatform reports whether an import ties code to a compute platform:
// not the standard library (no dot in its first element), not this module,
// not golang.org/x (the Go project's own extended library), not a portable
// library such as a database driver.
func IsPlatform(importPath, module string) bool {
	first, _, _ := strings.Cut(importPath, "/")
	switch {
	case !strings.Contains(first, "."),
		importPath == module || strings.HasPrefix(importPath, module+"/"),
		strings.HasPrefix(importPath, "golang.org/x/"):
		return false
	}
	for _, p := range portableLibraries {
		if strings.HasPrefix(importPath, p) {
			return false
		}
	}
	return true
}

func modulePath(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", fmt.Errorf("lockin: %w (run from the module root)", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", errors.Join(fmt.Errorf("lockin: no module line in %s", gomod), sc.Err())
}
