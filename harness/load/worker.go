package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"time"
)

// The load generator runs in a process of its own (RunIsolated): what
// measures must not share a process, a scheduler or a CPU cap with what is
// measured. In the same process, the generator's GOMAXPROCS cap (Procs)
// would also cap anything measured that lives there — the local Function
// URL gateway runs inside the harness — and the two would compete for the
// same threads; the container and the VM have processes of their own.
//
// The worker is this same executable started again with WorkerEnv set: the
// CLI's main and the TestMain of every test binary that runs isolated load
// call ServeWorkerIfAsked first. Options go in on stdin as one JSON line;
// progress and the result come back on stdout as frames (a kind byte, a
// uvarint length, the payload), the samples in the compact encoding.
// Closing stdin stops the run early, as a cancelled context does.

// WorkerEnv is the environment variable that makes a process a load worker.
const WorkerEnv = "COMPUTELADDER_LOAD_WORKER"

// Frame kinds on the worker's stdout.
const (
	frameProgress = 'p' // JSON Progress
	frameResult   = 'r' // JSON workerResult
	frameSamples  = 's' // EncodeSamples
)

// workerRequest is what the parent sends: the target and the options that
// cross a process boundary (Client and Progress do not).
type workerRequest struct {
	Target     Target        `json:"target"`
	Rate       int           `json:"rate"`
	Duration   time.Duration `json:"duration_ns"`
	Timeout    time.Duration `json:"timeout_ns"`
	MaxWorkers uint64        `json:"max_workers"`
	Procs      int           `json:"procs"`
	Progress   bool          `json:"progress"`
}

// workerResult is the result without its samples (they follow in their
// own frame), and the run's error.
type workerResult struct {
	Rate        int           `json:"rate"`
	Duration    time.Duration `json:"duration_ns"`
	Summary     Summary       `json:"summary"`
	Interrupted bool          `json:"interrupted,omitempty"`
	Error       string        `json:"error,omitempty"`
}

// maxFrame bounds a frame the parent accepts (a sample takes well under 64
// bytes encoded; 100,000 req/s for an hour is 360 M samples).
const maxFrame = 1 << 34

// RunIsolated is Run in a worker process of its own (see WorkerEnv): the
// generator's GOMAXPROCS cap (Procs) applies to that process only, and
// nothing it measures shares its scheduler. opts.Client must be nil (a
// client does not cross processes; callers whose requests must be signed
// use Run, and then nothing measured may live in their process).
// opts.Progress is called in this process as the worker reports.
//
// The executable must call ServeWorkerIfAsked at the start of main (or
// TestMain); if it does not, the worker ends without a result and the
// error says so.
func RunIsolated(ctx context.Context, tgt Target, opts Options) (*Result, error) {
	if opts.Client != nil {
		return nil, errors.New("load: a client cannot be handed to a worker process: use Run for signed requests")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := validTarget(tgt); err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("load worker: find this executable: %w", err)
	}
	req, err := json.Marshal(workerRequest{
		Target: tgt, Rate: opts.Rate, Duration: opts.Duration, Timeout: opts.Timeout,
		MaxWorkers: opts.MaxWorkers, Procs: opts.Procs, Progress: opts.Progress != nil,
	})
	if err != nil {
		return nil, fmt.Errorf("load worker: %w", err)
	}
	cmd := exec.Command(exe, workerArgs()...)
	cmd.Env = append(os.Environ(), WorkerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("load worker: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("load worker: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("load worker: start %s: %w", exe, err)
	}
	if _, err := stdin.Write(append(req, '\n')); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("load worker: send options: %w", err)
	}

	// Cancellation closes the worker's stdin: it stops sending and
	// returns what it has. If it then does not finish within the grace,
	// it is killed.
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
			stdin.Close()
			grace := max(opts.Timeout, 10*time.Second) + 5*time.Second
			select {
			case <-time.After(grace):
				_ = cmd.Process.Kill()
			case <-finished:
			}
		case <-finished:
		}
	}()

	res, readErr := readWorker(bufio.NewReaderSize(stdout, 64<<10), opts.Progress)
	if readErr != nil {
		_ = cmd.Process.Kill()
	}
	stdin.Close()
	waitErr := cmd.Wait()
	switch {
	case readErr != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("load interrupted: %w (worker: %v)", ctx.Err(), readErr)
	case readErr != nil:
		return nil, fmt.Errorf("load worker: %w (exit: %v; does this executable call load.ServeWorkerIfAsked first thing in main or TestMain?)", readErr, waitErr)
	case res.err != nil && ctx.Err() != nil:
		return res.Result, fmt.Errorf("load interrupted: %w", ctx.Err())
	case res.err != nil:
		return res.Result, res.err
	}
	return res.Result, nil
}

// workerArgs are the worker's arguments. A test binary that does not
// serve workers then runs no test and exits, instead of running every
// test again in the child.
func workerArgs() []string {
	if flag.Lookup("test.run") != nil {
		return []string{"-test.run=^$", "-test.bench=^$", "-test.fuzz=^$"}
	}
	return nil
}

type workerOutcome struct {
	*Result
	err error
}

// readWorker reads frames until the samples frame, which ends a run.
func readWorker(r *bufio.Reader, progress func(Progress)) (workerOutcome, error) {
	var out workerOutcome
	for {
		kind, payload, err := readFrame(r)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("the worker ended without a result")
			}
			return out, err
		}
		switch kind {
		case frameProgress:
			var p Progress
			if err := json.Unmarshal(payload, &p); err != nil {
				return out, fmt.Errorf("progress frame: %w", err)
			}
			if progress != nil {
				progress(p)
			}
		case frameResult:
			var wr workerResult
			if err := json.Unmarshal(payload, &wr); err != nil {
				return out, fmt.Errorf("result frame: %w", err)
			}
			out.Result = &Result{Rate: wr.Rate, Duration: wr.Duration, Summary: wr.Summary}
			switch {
			case wr.Interrupted:
				out.err = fmt.Errorf("load interrupted: %s", wr.Error)
			case wr.Error != "":
				out.err = errors.New(wr.Error)
			}
		case frameSamples:
			if out.Result == nil {
				return out, errors.New("samples before the result")
			}
			s, err := decodeSamples(payload)
			if err != nil {
				return out, err
			}
			out.Samples = s
			return out, nil
		default:
			return out, fmt.Errorf("unknown frame kind %q", kind)
		}
	}
}

func readFrame(r *bufio.Reader) (byte, []byte, error) {
	kind, err := r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, nil, fmt.Errorf("frame length: %w", noEOF(err))
	}
	if n > maxFrame {
		return 0, nil, fmt.Errorf("a frame of %d bytes", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return 0, nil, fmt.Errorf("frame: %w", noEOF(err))
	}
	return kind, b, nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func writeFrame(w io.Writer, kind byte, payload []byte) error {
	var hdr [1 + binary.MaxVarintLen64]byte
	hdr[0] = kind
	n := binary.PutUvarint(hdr[1:], uint64(len(payload)))
	if _, err := w.Write(hdr[:1+n]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// ServeWorkerIfAsked makes this process a load worker when it was started
// as one by RunIsolated (WorkerEnv is set): it runs the load, writes the
// result and exits. Otherwise it returns at once. Call it first thing in
// main, and in TestMain of test binaries whose tests run isolated load.
func ServeWorkerIfAsked() {
	if os.Getenv(WorkerEnv) == "" {
		return
	}
	if err := serveWorker(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serveWorker runs one load from the request on in and writes frames to out.
func serveWorker(ctx context.Context, in io.Reader, out io.Writer) error {
	// Ctrl-C at a terminal reaches the whole process group; the parent
	// decides what stops the run (it closes stdin).
	signal.Ignore(os.Interrupt)
	br := bufio.NewReader(in)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("read options: %w", err)
	}
	var req workerRequest
	if err := json.Unmarshal(line, &req); err != nil {
		return fmt.Errorf("read options: %w", err)
	}
	// stdin closing (the parent cancelled, or died) stops the run.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, br)
		cancel()
	}()

	bw := bufio.NewWriterSize(out, 64<<10)
	var werr error // the first write error; progress frames stop there
	opts := Options{
		Rate: req.Rate, Duration: req.Duration, Timeout: req.Timeout,
		MaxWorkers: req.MaxWorkers, Procs: req.Procs,
	}
	if req.Progress {
		opts.Progress = func(p Progress) {
			b, _ := json.Marshal(p)
			if werr == nil {
				werr = writeFrame(bw, frameProgress, b)
			}
			if werr == nil {
				werr = bw.Flush()
			}
		}
	}
	res, runErr := Run(ctx, req.Target, opts)
	if res == nil {
		res = &Result{Rate: req.Rate, Duration: req.Duration}
	}
	wr := workerResult{Rate: res.Rate, Duration: res.Duration, Summary: res.Summary}
	if runErr != nil {
		wr.Error = runErr.Error()
		wr.Interrupted = ctx.Err() != nil
	}
	b, err := json.Marshal(wr)
	if err != nil {
		return err
	}
	var samples bytes.Buffer
	if err := EncodeSamples(&samples, res.Samples); err != nil {
		return err
	}
	for _, f := range []struct {
		kind    byte
		payload []byte
	}{{frameResult, b}, {frameSamples, samples.Bytes()}} {
		if werr == nil {
			werr = writeFrame(bw, f.kind, f.payload)
		}
	}
	if werr == nil {
		werr = bw.Flush()
	}
	if werr != nil {
		return fmt.Errorf("write result: %w", werr)
	}
	return nil
}

// validTarget checks what Run checks before anything is sent, so that a
// bad target fails in this process, with the same error.
func validTarget(tgt Target) error {
	if tgt.Method == "" {
		tgt.Method = http.MethodGet
	}
	if _, err := http.NewRequest(tgt.Method, tgt.URL, nil); err != nil {
		return fmt.Errorf("load target: %w", err)
	}
	return validHeaders(tgt.Header)
}
