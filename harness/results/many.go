package results

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Class is the runs of many results files — a class's, handed in — each
// run once, with what could not be read and what was read twice.
type Class struct {
	// Runs are the runs read, in the order of the paths, each run id once.
	Runs []Loaded
	// Skipped are the files that could not be read, with why.
	Skipped []Skipped
	// Duplicates are the files whose run id an earlier file already had:
	// counted once, as the first.
	Duplicates []Duplicate
}

// Loaded is one run and the file it came from.
type Loaded struct {
	Path string
	Run  *Run
}

// Skipped is a file that could not be read, and why (Err does not repeat
// the path).
type Skipped struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// Duplicate is a file holding a run already read from First.
type Duplicate struct {
	Path  string `json:"path"`
	RunID string `json:"run_id"`
	First string `json:"first"`
	// OtherLabel is set when the two files' labels differ: the same run
	// handed in under two names.
	OtherLabel bool `json:"other_label,omitempty"`
}

// ReadClass reads results documents: each path a results.json, or a
// folder searched (recursively) for files named results.json. Only the
// documents are read (ReadDocument), not their raw-sample files. A file
// that cannot be read is skipped and listed, not fatal: one student's
// truncated file must not hide the class's results.
func ReadClass(paths []string) *Class {
	c := &Class{}
	first := map[string]Loaded{}
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			c.Skipped = append(c.Skipped, Skipped{Path: p, Err: err.Error()})
			continue
		}
		for _, f := range files {
			run, err := ReadDocument(f)
			if err != nil {
				c.Skipped = append(c.Skipped, Skipped{Path: f, Err: strings.TrimPrefix(err.Error(), f+": ")})
				continue
			}
			if prev, ok := first[run.RunID]; ok {
				c.Duplicates = append(c.Duplicates, Duplicate{Path: f, RunID: run.RunID, First: prev.Path, OtherLabel: prev.Run.Label != run.Label})
				continue
			}
			l := Loaded{Path: f, Run: run}
			first[run.RunID] = l
			c.Runs = append(c.Runs, l)
		}
	}
	return c
}

// expand is p's results files: p itself, or the results.json files under
// the folder p, in the order WalkDir visits them (lexical, folder by
// folder).
func expand(p string) ([]string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{p}, nil
	}
	var out []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "results.json" {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no results.json in this folder", p)
	}
	return out, nil
}

// ReadDocument reads a results.json without the raw-sample files beside
// it: every figure is in the document (quantiles, counts, stats); only
// the warm load's raw samples are left out. Comparing a class's runs
// needs no more, and a sample file lost on the way does not matter.
func ReadDocument(path string) (*Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	run, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return run, nil
}
