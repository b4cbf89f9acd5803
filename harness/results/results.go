// Package results is the data a lab run produces: a versioned JSON document
// with every raw sample beside its summary. Reports are functions of this
// data (package report); nothing here renders.
package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/load"
)

// SchemaVersion is bumped on any incompatible change to the document.
const SchemaVersion = 1

// Run is one lab run: results.json.
type Run struct {
	SchemaVersion int       `json:"schema_version"`
	RunID         string    `json:"run_id"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
	Target        string    `json:"target"` // local, localstack, aws
	Machine       Machine   `json:"machine"`
	Settings      Settings  `json:"settings"`
	Variants      []Variant `json:"variants"`
	// Errors are failures that did not stop the run (e.g. one variant failed).
	Errors []string `json:"errors,omitempty"`
}

// Machine is where the harness ran.
type Machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	MemoryMiB int    `json:"memory_mib,omitempty"`
	Kernel    string `json:"kernel,omitempty"`
	GoVersion string `json:"go_version"`
}

// Settings are the knobs the run used.
type Settings struct {
	Runs     int           `json:"runs"`
	Rate     int           `json:"rate"`
	Duration time.Duration `json:"duration_ns"`
	Warmup   time.Duration `json:"warmup_ns"`
}

// Variant is everything measured for one variant.
type Variant struct {
	Variant     deployers.Variant `json:"variant"`
	Backend     string            `json:"backend"`     // deployer name, e.g. "qemu"
	Description string            `json:"description"` // e.g. "local microVM (QEMU, TCG, 1 vCPU)"
	Details     map[string]string `json:"details,omitempty"`
	// Arch is the GOARCH of what was deployed: the VM's guest, the
	// container's image, the function's bootstrap.
	Arch string `json:"arch,omitempty"`
	// Accel is how the VM's CPU was provided (kvm, hvf or tcg), where the
	// backend chooses it.
	Accel string `json:"accel,omitempty"`
	// ArtifactBytes is the size of what was deployed (binary, zip or image).
	ArtifactBytes int64 `json:"artifact_bytes,omitempty"`

	Startup     Startup   `json:"startup"`
	ColdStart   ColdStart `json:"cold_start"`
	Warm        *Warm     `json:"warm,omitempty"`
	Behaviour   Behaviour `json:"behaviour"`
	Teardown    Teardown  `json:"teardown"`
	Error       string    `json:"error,omitempty"`
	NotMeasured []string  `json:"not_measured,omitempty"` // figures the backend cannot give, with why
}

// Startup is deploy → first HTTP 200, once per deployment.
type Startup struct {
	Samples []StartupSample `json:"samples"`
	Total   Stats           `json:"total"`
	// Prepare is the preparation before the startup origin (image builds).
	Prepare Stats `json:"prepare"`
	// Phases summarises each phase's offset from the startup origin.
	Phases []PhaseStats `json:"phases"`
}

// StartupSample is one deployment's timeline.
type StartupSample struct {
	Phases deployers.Timeline `json:"phases"`
	// From is the phase startup is measured from; the phases before it
	// (building an image) took Prepare.
	From    string        `json:"from"`
	Prepare time.Duration `json:"prepare_ns"`
	// Total is From → the last phase (the first HTTP 200).
	Total time.Duration `json:"total_ns"`
}

// PhaseStats is the spread of one phase's offset across samples.
type PhaseStats struct {
	Name  string `json:"name"`
	Stats Stats  `json:"stats"`
}

// ColdStart is the first request served by a fresh execution environment.
type ColdStart struct {
	Samples []ColdSample `json:"samples"`
	// FirstRequest is the client-side latency of each fresh environment's first request.
	FirstRequest Stats `json:"first_request"`
	// InitDuration is the platform's own init figure, where it reports one.
	InitDuration *Stats `json:"init_duration,omitempty"`
	// Method says how cold starts were forced, e.g. "new container".
	Method string `json:"method"`
}

// ColdSample is one cold start.
type ColdSample struct {
	FirstRequest time.Duration `json:"first_request_ns"`
	InitDuration time.Duration `json:"init_duration_ns,omitempty"`
	// Cold is what the app itself said (GET /whoami "cold").
	Cold       bool   `json:"cold"`
	InstanceID string `json:"instance_id,omitempty"`
}

// Warm is the constant-rate load after warm-up.
type Warm struct {
	Endpoint string       `json:"endpoint"`
	Result   *load.Result `json:"result"`
}

// Behaviour is the behaviour table checked against the live deployment.
type Behaviour struct {
	Passed   int      `json:"passed"`
	Failed   int      `json:"failed"`
	Failures []string `json:"failures,omitempty"`
}

// Teardown is how long removal took and what, if anything, was left.
type Teardown struct {
	Duration  time.Duration `json:"duration_ns"`
	Leftovers []string      `json:"leftovers,omitempty"`
	Error     string        `json:"error,omitempty"`
}

// Write stores r as dir/results.json (creating dir).
func Write(dir string, r *Run) (string, error) {
	return WriteJSON(dir, "results.json", r)
}

// Read decodes a results document, refusing other schema versions.
func Read(r io.Reader) (*Run, error) {
	var run Run
	dec := json.NewDecoder(r)
	if err := dec.Decode(&run); err != nil {
		return nil, fmt.Errorf("decode results: %w", err)
	}
	switch {
	case run.SchemaVersion == 0:
		return nil, errors.New("decode results: no schema_version: not a computeladder results.json")
	case run.SchemaVersion != SchemaVersion:
		return nil, fmt.Errorf("decode results: schema version %d, this computeladder reads %d", run.SchemaVersion, SchemaVersion)
	}
	return &run, nil
}

// ReadFile reads a results.json file.
func ReadFile(path string) (*Run, error) {
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
