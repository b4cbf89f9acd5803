// Package results is the data a lab run produces: a versioned JSON document
// (results.json) with every figure, and every raw load sample beside it in a
// compact file of its own. Reports are functions of this data (package
// report); nothing here renders.
package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/load"
)

// SchemaVersion is bumped on any incompatible change to the document.
//
// Version 2 keeps the warm load's raw samples out of results.json, in a file
// beside it (Warm.SamplesFile), and adds the schedule's counts and the
// sample count of the latency quantiles. Version 1 documents, samples
// inline, are still read (see Read). Fields added since that a reader may
// do without (label, cpu_model, docker_version) are optional: absent in an
// older document, they read as empty, and no version bump was needed.
const SchemaVersion = 2

// Run is one lab run: results.json.
type Run struct {
	SchemaVersion int       `json:"schema_version"`
	RunID         string    `json:"run_id"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
	Target        string    `json:"target"` // local, localstack, aws
	// Label names who ran it (a student's name or a group), from run
	// --label, so that a class's results can be told apart (see
	// ValidateLabel); empty when none was given.
	Label    string    `json:"label,omitempty"`
	Machine  Machine   `json:"machine"`
	Settings Settings  `json:"settings"`
	Variants []Variant `json:"variants"`
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
	// CPUModel is the host CPU's model name (/proc/cpuinfo on Linux,
	// sysctl machdep.cpu.brand_string on macOS); empty where it cannot be
	// read.
	CPUModel string `json:"cpu_model,omitempty"`
	// DockerVersion is the version of the Docker engine the harness
	// reached when the run began; empty when none answered.
	DockerVersion string `json:"docker_version,omitempty"`
}

// Settings are the knobs the run used.
type Settings struct {
	Runs     int           `json:"runs"`
	Rate     int           `json:"rate"`
	Duration time.Duration `json:"duration_ns"`
	Warmup   time.Duration `json:"warmup_ns"`
	// BurstClients and BurstDuration shape the scaling burst (0: none).
	BurstClients  int           `json:"burst_clients,omitempty"`
	BurstDuration time.Duration `json:"burst_duration_ns,omitempty"`
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

	Startup   Startup   `json:"startup"`
	ColdStart ColdStart `json:"cold_start"`
	Warm      *Warm     `json:"warm,omitempty"`
	Behaviour Behaviour `json:"behaviour"`
	Teardown  Teardown  `json:"teardown"`
	// MemoryMB is the memory the deployment got (a function's memory
	// size); zero where the backend does not say.
	MemoryMB int `json:"memory_mb,omitempty"`
	// Scaling is the burst after the warm load and the scale to zero.
	Scaling *Scaling `json:"scaling,omitempty"`
	// Cost is what the variant's cloud counterpart would bill for this
	// run's workload.
	Cost        *Cost    `json:"cost,omitempty"`
	Error       string   `json:"error,omitempty"`
	NotMeasured []string `json:"not_measured,omitempty"` // figures the backend cannot give, with why
}

// Startup is deploy → first HTTP 200, once per deployment.
type Startup struct {
	Samples []StartupSample `json:"samples"`
	Total   Stats           `json:"total"`
	// Prepare is the preparation before the startup origin (image builds).
	Prepare Stats `json:"prepare"`
	// Preparations splits Prepare by what it did, in first-seen order,
	// e.g. an image built once and then reused.
	Preparations []PreparationStats `json:"preparations,omitempty"`
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
	// Preparation names what Prepare did, e.g. "image build".
	Preparation string `json:"preparation,omitempty"`
	// Total is From → the last phase (the first HTTP 200).
	Total time.Duration `json:"total_ns"`
}

// PreparationStats is the spread of one kind of preparation.
type PreparationStats struct {
	What  string `json:"what"`
	Stats Stats  `json:"stats"`
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
	Endpoint string `json:"endpoint"`
	// Result is the load's summary and, once read or before written, its
	// raw samples.
	Result *load.Result `json:"result"`
	// SamplesFile names the file beside results.json holding Result's raw
	// samples (see WriteSamples), and SampleCount how many it holds; Write
	// sets both.
	SamplesFile string `json:"samples_file,omitempty"`
	SampleCount int    `json:"sample_count,omitempty"`
}

// Scaling is how the variant scaled: a burst from idle, then the wait
// for it to scale to zero.
type Scaling struct {
	Burst       *Burst       `json:"burst,omitempty"`
	ScaleToZero *ScaleToZero `json:"scale_to_zero,omitempty"`
}

// Burst is Clients concurrent clients, each sending its next request as
// soon as the last one is answered (closed loop), for Duration, starting
// from idle after the warm load.
type Burst struct {
	Endpoint string        `json:"endpoint"`
	Clients  int           `json:"clients"`
	Duration time.Duration `json:"duration_ns"`
	Requests int           `json:"requests"`
	Errors   int           `json:"errors"`
	// Throughput is successful responses per second.
	Throughput float64 `json:"throughput"`
	// Latency is over the successful requests, each timed from its send.
	Latency load.Quantiles `json:"latency"`
	// FirstResponse is the burst's start → its first response, and
	// AllServed → the moment every client had had a response.
	FirstResponse time.Duration `json:"first_response_ns"`
	AllServed     time.Duration `json:"all_served_ns"`
	// Instances is how many instances served the burst and Started how
	// many the burst started; both valid only when InstancesMeasured.
	Instances         int  `json:"instances"`
	Started           int  `json:"started"`
	InstancesMeasured bool `json:"instances_measured"`
	// InstancesHow says how Instances was found, or why it was not.
	InstancesHow string `json:"instances_how"`
}

// ScaleToZero is what still ran (and is billed) after the burst, once the
// platform's keep-alive had passed.
type ScaleToZero struct {
	// KeepAlive is the platform's idle keep-alive (zero: none, the
	// instance runs until someone stops it).
	KeepAlive time.Duration `json:"keep_alive_ns"`
	// Waited is how long the harness watched after the last request.
	Waited time.Duration `json:"waited_ns"`
	// Running is how many instances still ran at the end of the wait;
	// ZeroAfter is the last request → none running (zero if that never
	// happened).
	Running   int           `json:"running"`
	ZeroAfter time.Duration `json:"zero_after_ns,omitempty"`
	// How says how Running was found; NotMeasured why it was not.
	How         string `json:"how,omitempty"`
	NotMeasured string `json:"not_measured,omitempty"`
}

// Cost is what the variant's cloud counterpart would bill for this run's
// workload, from infra/pricing.json (package cost computes it).
type Cost struct {
	// Counterpart names the cloud service and size, e.g. "Lambda 128 MB x86_64".
	Counterpart string `json:"counterpart"`
	// Rate is the request rate the figures assume (the run's, per second).
	Rate float64 `json:"rate"`
	// PerMillion is the bill for one million requests at Rate, and Monthly
	// for a 730-hour month at Rate, in USD.
	PerMillion float64 `json:"per_million_usd"`
	Monthly    float64 `json:"monthly_usd"`
	// Basis says which measured figures and prices the bill rests on.
	Basis string `json:"basis"`
	// PricesAsOf is the date of the prices used.
	PricesAsOf string `json:"prices_as_of"`
	// NotComputed says why there is no figure; the others are then zero.
	NotComputed string `json:"not_computed,omitempty"`
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

// Header opens a lab's own document: the run id and when the run began
// (UTC, RFC 3339, this machine's clock).
type Header struct {
	RunID string `json:"run_id"`
	Date  string `json:"date"`
}

// ID is the run id.
func (h Header) ID() string { return h.RunID }

// NewHeader is the header of a run that begins now.
func NewHeader(runID string) Header {
	return Header{RunID: runID, Date: time.Now().UTC().Format(time.RFC3339)}
}

// FlatTeardown is a whole run's teardown as a lab's own document records
// it, at its top level: teardown_ns, teardown_error and leftovers.
type FlatTeardown struct {
	Teardown      time.Duration `json:"teardown_ns"`
	TeardownError string        `json:"teardown_error,omitempty"`
	// Leftovers is what still carried the run id after the teardown and
	// the sweep that followed it.
	Leftovers []string `json:"leftovers,omitempty"`
}

// Flat is t as a lab's own document records it.
func (t Teardown) Flat() FlatTeardown {
	return FlatTeardown{Teardown: t.Duration, TeardownError: t.Error, Leftovers: t.Leftovers}
}

// Write stores r as dir/results.json (creating dir), with each variant's
// raw load samples in a file of its own beside it, whose name it records
// in r (Warm.SamplesFile).
func Write(dir string, r *Run) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("results dir: %w", err)
	}
	for _, v := range r.Variants {
		if v.Warm == nil || v.Warm.Result == nil {
			continue
		}
		w, name := v.Warm, samplesFileName(v.Variant)
		path := filepath.Join(dir, name)
		n := len(w.Result.Samples)
		if n == 0 && w.SampleCount > 0 {
			return "", fmt.Errorf("write results: %s: the samples of %s were not read (use ReadFile)", v.Variant, w.SamplesFile)
		}
		if _, err := os.Stat(path); err == nil && w.SamplesFile == name && w.SampleCount == n {
			continue // read from this very file: written once, not again
		}
		if err := WriteSamples(path, w.Result.Samples); err != nil {
			return "", err
		}
		w.SamplesFile, w.SampleCount = name, n
	}
	return WriteJSON(dir, "results.json", r.Document())
}

// Document is r as results.json holds it: the same figures, with the raw
// load samples left to their own files. r is not changed.
func (r *Run) Document() *Run {
	doc := *r
	doc.Variants = slices.Clone(r.Variants)
	for i, v := range doc.Variants {
		if v.Warm == nil || v.Warm.Result == nil {
			continue
		}
		w, res := *v.Warm, *v.Warm.Result
		res.Samples = nil
		w.Result = &res
		doc.Variants[i].Warm = &w
	}
	return &doc
}

func samplesFileName(v deployers.Variant) string { return "warm-" + string(v) + ".samples.zst" }

// Read decodes a results document. Samples kept in files of their own are
// not read (ReadFile reads them). A version 1 document (samples inline) is
// brought up to this version: its schedule counts and sample counts are
// derived from its samples.
func Read(r io.Reader) (*Run, error) {
	var run Run
	dec := json.NewDecoder(r)
	if err := dec.Decode(&run); err != nil {
		switch {
		case errors.Is(err, io.EOF):
			return nil, errors.New("decode results: the file is empty")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("decode results: the file ends early (truncated?): %w", err)
		}
		return nil, fmt.Errorf("decode results: %w", err)
	}
	if err := ValidateLabel(run.Label); err != nil {
		return nil, fmt.Errorf("decode results: %w", err)
	}
	switch {
	case run.SchemaVersion == 0:
		return nil, errors.New("decode results: no schema_version: not a computeladder results.json")
	case run.SchemaVersion == 1:
		upgradeV1(&run)
	case run.SchemaVersion != SchemaVersion:
		return nil, fmt.Errorf("decode results: schema version %d, this computeladder reads 1 to %d: use a newer computeladder", run.SchemaVersion, SchemaVersion)
	}
	// Another computeladder document (a scenario's result, a cost table)
	// decodes into an empty Run: refuse it rather than report nothing.
	if run.RunID == "" || len(run.Variants) == 0 {
		return nil, errors.New("decode results: no run_id or no variants: not a run's results.json (a scenario's own .json is not one)")
	}
	return &run, nil
}

// upgradeV1 fills in what version 1 did not record, from the samples it
// kept inline. Its achieved rate stays what it recorded (requests, not
// responses, per second).
func upgradeV1(run *Run) {
	run.SchemaVersion = SchemaVersion
	for _, v := range run.Variants {
		if v.Warm == nil || v.Warm.Result == nil {
			continue
		}
		res := v.Warm.Result
		s := &res.Summary
		s.Answered, s.Latency.N = 0, 0
		for _, x := range res.Samples {
			if x.Code != 0 {
				s.Answered++
			}
			if x.OK() {
				s.Latency.N++
			}
		}
		// Above a billion a second the interval rounds to zero: no schedule.
		if res.Rate > 0 && res.Rate <= int(time.Second) {
			s.Scheduled = int(res.Duration / (time.Second / time.Duration(res.Rate)))
		}
	}
}

// ReadFile reads a results.json file (ReadDocument) and the sample files
// beside it.
func ReadFile(path string) (*Run, error) {
	run, err := ReadDocument(path)
	if err != nil {
		return nil, err
	}
	for _, v := range run.Variants {
		if v.Warm == nil || v.Warm.Result == nil || v.Warm.SamplesFile == "" {
			continue
		}
		name := v.Warm.SamplesFile
		if filepath.Base(name) != name || name == "." || name == ".." {
			return nil, fmt.Errorf("%s: %s: samples_file %q must name a file beside it", path, v.Variant, name)
		}
		samples, err := ReadSamples(filepath.Join(filepath.Dir(path), name))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, v.Variant, err)
		}
		if n := v.Warm.SampleCount; len(samples) != n {
			return nil, fmt.Errorf("%s: %s: %s holds %d samples, results.json counts %d: the files do not belong together", path, v.Variant, name, len(samples), n)
		}
		v.Warm.Result.Samples = samples
	}
	return run, nil
}
