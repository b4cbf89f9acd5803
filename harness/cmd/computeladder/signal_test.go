package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

// These tests run the real binary against the real local backends and
// check, through labels and state files (never through the binary's own
// memory), that an interrupted run removes everything and that sweep
// removes what a killed one left.

func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "computeladder")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// leftovers lists what carries runID on every local backend and in what
// the labs start besides.
func leftovers(t *testing.T, runID string) []deployers.Resource {
	t.Helper()
	set, err := targets.OpenForSweep(context.Background(), "local", targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	var all []deployers.Resource
	for _, s := range sweepers(set) {
		rs, err := s.List(context.Background(), runID)
		if err != nil {
			t.Fatalf("list %T: %v", s, err)
		}
		all = append(all, rs...)
	}
	return all
}

// sweepAfter makes sure a failing test does not leave resources behind.
func sweepAfter(t *testing.T, runID string) {
	t.Cleanup(func() {
		set, err := targets.OpenForSweep(context.Background(), "local", targets.Options{})
		if err != nil {
			return
		}
		defer set.Close()
		_ = kit.Sweep(context.Background(), sweepers(set), runID, false, io.Discard)
	})
}

// waitLine reads r until a line contains want, and returns that line.
func waitLine(t *testing.T, r io.Reader, want string, timeout time.Duration) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if strings.Contains(sc.Text(), want) {
				found <- sc.Text()
				io.Copy(io.Discard, r) // keep the pipe drained
				return
			}
		}
		close(found)
	}()
	select {
	case l, ok := <-found:
		if !ok {
			t.Fatalf("output ended without %q", want)
		}
		return l
	case <-time.After(timeout):
		t.Fatalf("no %q within %s", want, timeout)
	}
	return ""
}

func TestInterruptDuringLoadTearsDown(t *testing.T) {
	deployertest.RequireDocker(t)
	bin := buildCLI(t)
	runID := deployertest.RunID(t, "sigint")
	sweepAfter(t, runID)

	cmd := exec.Command(bin, "run", "container", "--runs", "1", "--duration", "60s",
		"--run-id", runID, "--out", t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	waitLine(t, stderr, "container load", 3*time.Minute)
	if len(leftovers(t, runID)) == 0 {
		t.Fatal("nothing deployed during the load phase: the test proves nothing")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit = %v, want code 130 after Ctrl-C", err)
	}
	if left := leftovers(t, runID); len(left) > 0 {
		t.Fatalf("left after Ctrl-C: %v", left)
	}
}

func TestSweepAfterKill(t *testing.T) {
	deployertest.RequireDocker(t)
	deployertest.RequireQEMU(t)
	bin := buildCLI(t)
	for _, variant := range []string{"container", "lambda", "vm"} {
		t.Run(variant, func(t *testing.T) {
			runID := deployertest.RunID(t, "kill"+variant[:2])
			sweepAfter(t, runID)
			cmd := exec.Command(bin, "up", variant, "--run-id", runID)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			url := waitLine(t, stdout, "http://127.0.0.1:", 3*time.Minute)
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if len(leftovers(t, runID)) == 0 {
				t.Fatalf("a SIGKILLed `up %s` (%s) left nothing: the test proves nothing", variant, url)
			}
			out, err := exec.Command(bin, "sweep", "--run-id", runID).CombinedOutput()
			if err != nil {
				t.Fatalf("sweep: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "removed "+variant) {
				t.Errorf("sweep did not say what it removed:\n%s", out)
			}
			if left := leftovers(t, runID); len(left) > 0 {
				t.Fatalf("left after sweep: %v", left)
			}
		})
	}
}
