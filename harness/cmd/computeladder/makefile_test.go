package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryLabTargetRunsItsSetup: each lab's make target (lab-NAME; lab for
// the ladder) first runs `computeladder setup NAME`, so that every lab
// installs or names its prerequisites the same way, and setup knows the
// name.
func TestEveryLabTargetRunsItsSetup(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	recipes := map[string]string{}
	target := ""
	for _, line := range strings.Split(string(b), "\n") {
		if m := regexp.MustCompile(`^([a-z-]+):`).FindStringSubmatch(line); m != nil {
			target = m[1]
			continue
		}
		if strings.HasPrefix(line, "\t") && target != "" {
			recipes[target] += line + "\n"
		} else if line == "" || !strings.HasPrefix(line, "\t") {
			target = ""
		}
	}
	for _, l := range labs {
		lab := l()
		if lab.Name == "" {
			t.Errorf("a lab has no name: %T", lab.Command)
			continue
		}
		tgt := "lab-" + lab.Name
		if lab.Name == "ladder" {
			tgt = "lab"
		}
		r, ok := recipes[tgt]
		if !ok {
			t.Errorf("the Makefile has no target %s for lab %s", tgt, lab.Name)
			continue
		}
		if !strings.Contains(r, "$(CLI) setup "+lab.Name+"\n") {
			t.Errorf("make %s does not run `computeladder setup %s` first:\n%s", tgt, lab.Name, r)
		}
		if _, err := setupNeeds(lab.Name); err != nil {
			t.Errorf("setup %s: %v", lab.Name, err)
		}
	}
}
