package infra

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLocalStackIsPinned: the compose file runs LocalStackImage by
// default, a fixed version, never latest.
func TestLocalStackIsPinned(t *testing.T) {
	b, err := os.ReadFile("localstack/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	repo, tag, _ := strings.Cut(LocalStackImage, ":")
	want := "image: " + repo + ":${LOCALSTACK_VERSION:-" + tag + "}"
	if !strings.Contains(string(b), want) {
		t.Errorf("compose.yaml lacks %q", want)
	}
	if tag == "" || tag == "latest" || strings.Contains(string(b), ":-latest}") {
		t.Errorf("LocalStack image %q: pin a version", LocalStackImage)
	}
}

// outside matches a citation of something outside the repository: an
// absolute path of one machine (a home directory, a work tree) or a
// relative path that climbs out of the repository.
var outside = regexp.MustCompile(`(^|[\s("'\x60])/(work|root|home|Users)/|\.\./\.\./\.\./`)

// TestNothingCitesOutsideTheRepo: every figure in the repository carries
// its original source, never a file a reader does not have.
func TestNothingCitesOutsideTheRepo(t *testing.T) {
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "bin", "results", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".md", ".json", ".yaml", ".yml", ".tmpl", ".sh", ".service", "":
		default:
			return nil
		}
		if filepath.Base(path) == "infra_test.go" {
			return nil // the pattern above
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if outside.MatchString(line) {
				t.Errorf("%s:%d cites something outside the repository: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
