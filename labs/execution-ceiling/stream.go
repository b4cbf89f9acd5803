package ceiling

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strings"
	"time"
)

const (
	// maxErrorBody bounds what is read of an answer that is not a stream.
	maxErrorBody = 64 << 10
	// maxLine bounds one NDJSON line: the app's are under 200 bytes.
	maxLine = 4 << 10
	// maxBodyNote bounds the raw answer kept in the results.
	maxBodyNote = 512
)

// Job is what one POST /jobs saw, from the client's side.
type Job struct {
	// Seconds is the job's length as asked.
	Seconds float64 `json:"seconds"`
	// Status is the HTTP status (0 when no answer came).
	Status int `json:"status"`
	// FirstByte is request sent → response headers.
	FirstByte time.Duration `json:"first_byte_ns"`
	// FirstLine is request sent → the first NDJSON line (0: none came).
	FirstLine time.Duration `json:"first_line_ns,omitempty"`
	// Wall is request sent → the answer's end.
	Wall time.Duration `json:"wall_ns"`
	// ProgressLines counts the progress lines that reached the client.
	ProgressLines int `json:"progress_lines"`
	// LastStep is the last step a progress line reported (0: none).
	LastStep int `json:"last_step"`
	// Steps is the job's number of steps (as the app counts them).
	Steps int `json:"steps"`
	// Done is true when the final {"done":true} line arrived.
	Done bool `json:"done"`
	// Digest is the end of the job's hash chain (with Done).
	Digest string `json:"digest,omitempty"`
	// ElapsedMS is the job's own duration, from its last line.
	ElapsedMS float64 `json:"job_elapsed_ms,omitempty"`
	// ErrorType and ErrorMessage are a platform's error (the function
	// gateway's errorType, e.g. Sandbox.Timedout) or the app's last line
	// when the job was cancelled (code "cancelled").
	ErrorType    string `json:"error_type,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
	// Body is the start of an answer that was not an NDJSON stream.
	Body string `json:"body,omitempty"`
	// Error is a transport failure (connection cut, deadline).
	Error string `json:"error,omitempty"`
}

// line is any NDJSON line of POST /jobs: a progress line, the final
// result, or the app's cancellation line.
type line struct {
	Step      int     `json:"step"`
	Steps     int     `json:"steps"`
	Done      bool    `json:"done"`
	Digest    string  `json:"digest"`
	ElapsedMS float64 `json:"elapsed_ms"`
	Error     *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// platformError is the JSON a Function URL answers on a function error.
type platformError struct {
	Message      string `json:"Message"`
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

// stepsOf is how many steps the app splits a job of seconds into: one per
// 100 ms (app.JobStep), the last one possibly shorter.
func stepsOf(seconds float64) int {
	return int(math.Ceil(math.Round(seconds*1000) / 100))
}

// postJob sends POST /jobs {"seconds": seconds} to baseURL and reads the
// answer to its end, calling onStep (may be nil) for each progress line as
// it arrives. The error is only for a request that could not be built;
// everything the platform did, including cutting the connection, is in
// the returned Job.
func postJob(ctx context.Context, client *http.Client, baseURL string, seconds float64, onStep func(step, steps int, at time.Duration)) (Job, error) {
	job := Job{Seconds: seconds, Steps: stepsOf(seconds)}
	body := fmt.Sprintf(`{"seconds":%g}`, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/jobs", strings.NewReader(body))
	if err != nil {
		return job, fmt.Errorf("job request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		job.Wall = time.Since(start)
		job.Error = err.Error()
		return job, nil
	}
	defer resp.Body.Close()
	job.FirstByte = time.Since(start)
	job.Status = resp.StatusCode

	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || mt != "application/x-ndjson" {
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		job.Wall = time.Since(start)
		readErrorBody(&job, b)
		if rerr != nil {
			job.Error = rerr.Error()
		}
		return job, nil
	}

	r := bufio.NewReaderSize(resp.Body, maxLine)
	for {
		b, rerr := r.ReadSlice('\n')
		at := time.Since(start)
		if len(bytes.TrimSpace(b)) > 0 {
			if job.FirstLine == 0 {
				job.FirstLine = at
			}
			if perr := job.add(b, at, onStep); perr != nil && job.Error == "" {
				job.Error = perr.Error()
			}
		}
		if rerr != nil {
			job.Wall = time.Since(start)
			if !errors.Is(rerr, io.EOF) {
				job.Error = rerr.Error()
			}
			return job, nil
		}
	}
}

// add records one NDJSON line.
func (j *Job) add(b []byte, at time.Duration, onStep func(step, steps int, at time.Duration)) error {
	var l line
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("line %q: %w", truncate(string(bytes.TrimSpace(b)), 80), err)
	}
	switch {
	case l.Done:
		j.Done, j.Digest, j.ElapsedMS = true, l.Digest, l.ElapsedMS
		if l.Steps > 0 {
			j.Steps = l.Steps
		}
	case l.Error != nil:
		j.ErrorType, j.ErrorMessage, j.ElapsedMS = l.Error.Code, l.Error.Message, l.ElapsedMS
	case l.Step > 0:
		j.ProgressLines++
		j.LastStep = l.Step
		if l.Steps > 0 {
			j.Steps = l.Steps
		}
		if onStep != nil {
			onStep(l.Step, j.Steps, at)
		}
	}
	return nil
}

// readErrorBody keeps a non-stream answer: the platform's error fields when
// it is a Function URL error, its start in any case.
func readErrorBody(j *Job, b []byte) {
	j.Body = truncate(strings.TrimSpace(string(b)), maxBodyNote)
	var pe platformError
	if json.Unmarshal(b, &pe) == nil {
		j.ErrorType, j.ErrorMessage = pe.ErrorType, pe.ErrorMessage
		if j.ErrorMessage == "" {
			j.ErrorMessage = pe.Message
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
