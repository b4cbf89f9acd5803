// Package labs holds one folder per lab; this file tests their guides
// together: every run a guide quotes is committed in a lab's reference/,
// and every link a guide makes stays inside the repository.
package labs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// runID is the form of a run id (harness/kit.NewRunID): date, time and six
// hex digits.
var runID = regexp.MustCompile(`\b20[0-9]{6}-[0-9]{6}-[0-9a-f]{6}\b`)

// referenceLimit is how large a lab's reference/ may grow: the reference
// runs are committed, so they stay small (figures and reports, not every
// raw sample of a long run).
const referenceLimit = 200 << 10

// guide is a guide's path (slash-separated, from the repository root) and
// text.
type guide struct{ path, text string }

// guides reads the top-level README, labs/README.md and every lab's guide.
func guides(t *testing.T) []guide {
	t.Helper()
	paths := []string{"../README.md", "README.md"}
	more, err := filepath.Glob("*/README.md")
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, more...)
	var gs []guide
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, guide{path: filepath.ToSlash(filepath.Clean(filepath.Join("labs", p))), text: string(b)})
	}
	if len(gs) < 10 {
		t.Fatalf("found %d guides, want the top README, labs/README.md and every lab's", len(gs))
	}
	return gs
}

// references maps each lab with a reference/ to the run ids of the JSON
// documents there (a run's results.json, a scenario's <name>.json): the
// top-level "run_id" of each.
func references(t *testing.T) map[string][]string {
	t.Helper()
	docs, err := filepath.Glob("*/reference/*.json")
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string][]string{}
	for _, p := range docs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			RunID string `json:"run_id"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if !runID.MatchString(doc.RunID) {
			t.Errorf("%s: run_id %q is not a run id", p, doc.RunID)
			continue
		}
		lab := strings.Split(filepath.ToSlash(p), "/")[0]
		refs[lab] = append(refs[lab], doc.RunID)
	}
	return refs
}

// TestGuidesQuoteCommittedRuns: a run id in a lab's guide names a run
// committed in that lab's reference/, or in the reference/ of a lab the
// guide links to (the vm, container and lambda guides quote the ladder's
// run); the top README and labs/README.md may quote any lab's. Each such
// reference also holds the run's Markdown report.
func TestGuidesQuoteCommittedRuns(t *testing.T) {
	refs := references(t)
	if len(refs) == 0 {
		t.Fatal("no labs/*/reference/*.json with a run id")
	}
	quoted := 0
	for _, g := range guides(t) {
		var allowed []string // labs whose reference/ this guide may quote
		if lab, ok := strings.CutSuffix(strings.TrimPrefix(g.path, "labs/"), "/README.md"); ok && strings.HasPrefix(g.path, "labs/") {
			allowed = append(allowed, lab)
			for _, m := range regexp.MustCompile(`\]\(\.\./([a-z-]+)/reference/?[^)]*\)`).FindAllStringSubmatch(g.text, -1) {
				allowed = append(allowed, m[1])
			}
		} else {
			for lab := range refs {
				allowed = append(allowed, lab)
			}
		}
		for _, id := range slices.Compact(slices.Sorted(slices.Values(runID.FindAllString(g.text, -1)))) {
			quoted++
			found := ""
			for _, lab := range allowed {
				if slices.Contains(refs[lab], id) {
					found = lab
					break
				}
			}
			if found == "" {
				t.Errorf("%s quotes run %s, which is in no reference/ it may quote (%s)", g.path, id, strings.Join(allowed, ", "))
				continue
			}
			reports, _ := filepath.Glob(filepath.Join(found, "reference", "*.md"))
			ok := false
			for _, r := range reports {
				if b, err := os.ReadFile(r); err == nil && strings.Contains(string(b), id) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s quotes run %s: %s/reference/ holds its JSON but no Markdown report naming it", g.path, id, found)
			}
		}
	}
	if quoted == 0 {
		t.Error("no guide quotes a run id")
	}
}

// link is a Markdown link's target: [text](target).
var link = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestGuidesLinkInsideTheRepo: every link of a guide that is not a web
// address or an anchor is a relative path to a file or folder of the
// repository: nothing above its root (../shared), no absolute path.
func TestGuidesLinkInsideTheRepo(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range guides(t) {
		dir := filepath.Join(root, filepath.FromSlash(filepath.Dir(g.path)))
		for _, m := range link.FindAllStringSubmatch(g.text, -1) {
			target := m[1]
			if strings.HasPrefix(target, "#") || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			if filepath.IsAbs(target) || strings.HasPrefix(target, "~") {
				t.Errorf("%s links to %s: an absolute path, outside the repository", g.path, m[1])
				continue
			}
			p := filepath.Join(dir, filepath.FromSlash(target))
			rel, err := filepath.Rel(root, p)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				t.Errorf("%s links to %s: outside the repository", g.path, m[1])
				continue
			}
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s links to %s: %v", g.path, m[1], err)
			}
		}
	}
}

// TestReferencesAreSmall: each lab's committed reference/ stays under
// referenceLimit.
func TestReferencesAreSmall(t *testing.T) {
	dirs, err := filepath.Glob("*/reference")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		var total int64
		err := filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			total += info.Size()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if total > referenceLimit {
			t.Errorf("%s holds %d bytes, more than %d: commit the figures and reports, not every raw sample", d, total, referenceLimit)
		}
	}
}
