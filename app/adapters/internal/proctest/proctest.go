//go:build unix

// Package proctest runs an adapter's main in a child process, for the
// adapters' tests: the test binary re-executes itself with RunMainEnv set,
// and its TestMain calls main instead of the tests. Signals, exit codes and
// console output are then the real ones.
package proctest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RunMainEnv, set to "1", makes MainIfChild run main.
const RunMainEnv = "COMPUTELADDER_PROCTEST_MAIN"

// MainIfChild runs main and exits when the process is a child started by
// Start; call it first in TestMain.
func MainIfChild(main func()) {
	if os.Getenv(RunMainEnv) == "1" {
		main()
		os.Exit(0)
	}
}

// Proc is a running adapter.
type Proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string // stdout and stderr, merged, in order
	more  chan struct{}
	done  chan struct{}
	err   error // of cmd.Wait, once done is closed
}

// Start runs the test binary's main with env added, wrapped in prefix (a
// command and its arguments, e.g. unshare) when given. The process is
// killed at the end of the test.
func Start(t *testing.T, env []string, prefix ...string) *Proc {
	t.Helper()
	args := append(prefix, os.Args[0], "-test.run=^$")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(append(os.Environ(), RunMainEnv+"=1"), env...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	p := &Proc{cmd: cmd, more: make(chan struct{}, 1), done: make(chan struct{})}
	t.Cleanup(func() {
		if cmd.Process != nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		t.Fatalf("start %v: %v", args, err)
	}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
		}
		r.Close()
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p
}

// WaitLine waits for an output line matching re and returns its submatches.
func (p *Proc) WaitLine(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.After(timeout)
	for seen := 0; ; {
		p.mu.Lock()
		lines := p.lines[seen:]
		seen = len(p.lines)
		p.mu.Unlock()
		for _, l := range lines {
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		}
		select {
		case <-p.more:
		case <-p.done:
			p.mu.Lock()
			if len(p.lines) == seen {
				p.mu.Unlock()
				t.Fatalf("exited (%v) without printing a line matching %q; output:\n%s", p.err, re, p.Output())
			}
			p.mu.Unlock()
		case <-deadline:
			t.Fatalf("no line matching %q within %v; output:\n%s", re, timeout, p.Output())
		}
	}
}

// Output returns everything printed so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// Pid is the process id (of the prefix command, when there is one).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the process.
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Wait waits for the exit and returns its status, or an error on timeout.
func (p *Proc) Wait(ctx context.Context) (syscall.WaitStatus, error) {
	select {
	case <-p.done:
	case <-ctx.Done():
		return 0, fmt.Errorf("still running: %w", ctx.Err())
	}
	var exitErr *exec.ExitError
	if p.err != nil && !errors.As(p.err, &exitErr) {
		return 0, p.err
	}
	ws, _ := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ws, nil
}
