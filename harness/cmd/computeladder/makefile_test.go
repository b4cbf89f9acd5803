package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/deployers"
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
		// setup NAME, maybe with flags (--target $(TARGET) where the lab
		// can run in the cloud).
		if !regexp.MustCompile(`\$\(CLI\) setup ` + regexp.QuoteMeta(lab.Name) + `( [^\n]*)?\n`).MatchString(r) {
			t.Errorf("make %s does not run `computeladder setup %s` first:\n%s", tgt, lab.Name, r)
		}
		if _, err := setupNeeds(lab.Name); err != nil {
			t.Errorf("setup %s: %v", lab.Name, err)
		}
	}
}

// TestSetupForTheCloud: with the variants in the cloud, only the
// container's image build needs anything here (the Docker engine); a bad
// --target is refused.
func TestSetupForTheCloud(t *testing.T) {
	for which, want := range map[string][]deployers.Variant{
		"all": {deployers.Container}, "ladder": {deployers.Container}, "container": {deployers.Container}, "vm": nil, "lambda": nil,
	} {
		needs, err := setupNeeds(which)
		if err != nil {
			t.Fatal(err)
		}
		if got := cloudNeeds(needs); !slices.Equal(got.Variants, want) || len(got.Prereqs)+len(got.Optional) > 0 {
			t.Errorf("setup %s --target aws needs %+v here, want the variants %v and no programs", which, got, want)
		}
	}
	cmd := newSetupCmd()
	cmd.SetArgs([]string{"vm", "--target", "mars"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), `--target "mars"`) {
		t.Errorf("setup --target mars: %v, want a usage error naming it", err)
	}
}

// TestMakefileHeaderNamesEveryVariable: every variable a make call can set
// (NAME ?= …) is named in the Makefile's header comment.
func TestMakefileHeaderNamesEveryVariable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var header strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		header.WriteString(line + "\n")
	}
	vars := regexp.MustCompile(`(?m)^([A-Z_]+)\s*\?=`).FindAllStringSubmatch(string(b), -1)
	if len(vars) == 0 {
		t.Fatal("no NAME ?= variable found in the Makefile")
	}
	for _, m := range vars {
		if !regexp.MustCompile(`\b` + m[1] + `\b`).MatchString(header.String()) {
			t.Errorf("the Makefile's header does not name %s:\n%s", m[1], header.String())
		}
	}
}
