package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"time"
)

// Limits of POST /jobs.
const (
	MaxJobSeconds = 900 // the longest job, like Lambda's 15-minute ceiling
	JobStep       = 100 * time.Millisecond
	maxJobBody    = 1 << 10
)

// JobProgress is one NDJSON progress line of POST /jobs, sent after each step.
type JobProgress struct {
	Step      int     `json:"step"`
	Steps     int     `json:"steps"`
	Hashes    uint64  `json:"hashes"`
	ElapsedMS float64 `json:"elapsed_ms"`
	Done      bool    `json:"done"` // always false: the summary line has true
}

// JobResult is the final NDJSON line of POST /jobs.
type JobResult struct {
	Done      bool    `json:"done"`
	Seconds   float64 `json:"seconds"`
	Steps     int     `json:"steps"`
	Hashes    uint64  `json:"hashes"`
	ElapsedMS float64 `json:"elapsed_ms"`
	// Digest is the end of the SHA-256 chain: proof the work was done.
	Digest string `json:"digest"`
}

// RunJob burns CPU for seconds (0 < seconds ≤ MaxJobSeconds) in steps of
// JobStep, chaining SHA-256 (each digest hashes the previous one), and calls
// progress after each step. Steps are bounded by time, not by a hash count,
// so a job takes as long on a slow emulated VM as on a fast host: that is
// what the execution-time lab compares against a function's timeout.
//
// When ctx ends, RunJob stops within a fraction of a millisecond and
// returns the partial result (Done false) with ctx's error.
func RunJob(ctx context.Context, seconds float64, progress func(JobProgress)) (JobResult, error) {
	if err := validSeconds(seconds); err != nil {
		return JobResult{}, err
	}
	total := time.Duration(math.Round(seconds * float64(time.Second)))
	steps := int((total + JobStep - 1) / JobStep)
	res := JobResult{Seconds: seconds, Steps: steps}
	digest := sha256.Sum256([]byte("computeladder"))
	start := time.Now()
	for step := 1; step <= steps; step++ {
		// Steps end at fixed offsets from the start, so time lost in
		// progress (a slow client) does not stretch the job.
		end := start.Add(min(time.Duration(step)*JobStep, total))
		for {
			// 256 hashes take well under a millisecond even emulated.
			for range 256 {
				digest = sha256.Sum256(digest[:])
			}
			res.Hashes += 256
			if err := ctx.Err(); err != nil {
				res.ElapsedMS = ms(time.Since(start))
				res.Digest = hex.EncodeToString(digest[:])
				return res, fmt.Errorf("job cancelled in step %d of %d: %w", step, steps, err)
			}
			if !time.Now().Before(end) {
				break
			}
		}
		if progress != nil {
			progress(JobProgress{Step: step, Steps: steps, Hashes: res.Hashes, ElapsedMS: ms(time.Since(start))})
		}
	}
	res.Done = true
	res.ElapsedMS = ms(time.Since(start))
	res.Digest = hex.EncodeToString(digest[:])
	return res, nil
}

func validSeconds(s float64) error {
	if !(s > 0 && s <= MaxJobSeconds) { // also refuses NaN
		return errorf(http.StatusBadRequest, CodeInvalidDuration,
			"seconds is %v; send {\"seconds\": N} with 0 < N ≤ %d", s, MaxJobSeconds)
	}
	return nil
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }

type jobRequest struct {
	Seconds float64 `json:"seconds"`
}

// jobs streams NDJSON: one JobProgress line per step, flushed as it
// happens, then the JobResult with "done":true. Once the 200 is out, a
// failure can only be reported in a last line: {"done":false,"error":{...}}.
func (s *server) jobs(w http.ResponseWriter, r *http.Request) {
	if err := requireMediaType(r, "application/json"); err != nil {
		writeError(w, err)
		return
	}
	body, err := limitBody(w, r, maxJobBody)
	if err != nil {
		writeError(w, err)
		return
	}
	b, err := readLimited(body, maxJobBody)
	if err != nil {
		writeError(w, err)
		return
	}
	var req jobRequest
	if err := decodeStrict(b, &req); err != nil {
		writeError(w, err)
		return
	}
	if err := validSeconds(req.Seconds); err != nil {
		writeError(w, err)
		return
	}
	rc := http.NewResponseController(w)
	// A server-wide WriteTimeout would cut a long job short: this response
	// may legitimately last MaxJobSeconds. Not every writer supports it.
	_ = rc.SetWriteDeadline(time.Now().Add(time.Duration(req.Seconds*float64(time.Second)) + time.Minute))
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w) // Encode appends the newline NDJSON needs
	line := func(v any) {
		_ = enc.Encode(v)
		_ = rc.Flush()
	}
	res, err := RunJob(r.Context(), req.Seconds, func(p JobProgress) { line(p) })
	if err != nil {
		// Usually the client went away and nobody reads this; when a
		// gateway cancelled instead, it says why the stream stopped.
		line(struct {
			JobResult
			Error *Error `json:"error"`
		}{res, errorf(http.StatusServiceUnavailable, CodeCancelled, "%v", err)})
		return
	}
	line(res)
}
