package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/deployers/qemu"
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

// httpOK reports whether GET url answers 200.
func httpOK(url string) bool {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// qemuPID reads the pid of the run's QEMU from its state directory.
func qemuPID(t *testing.T, runID string) int {
	t.Helper()
	dir, err := qemu.DefaultStateDir()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := filepath.Glob(filepath.Join(dir, runID, "vm-*", "meta.json"))
	if len(m) != 1 {
		t.Fatalf("want one VM of run %s, found %v", runID, m)
	}
	b, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		PID   int    `json:"pid"`
		Owner string `json:"computeladder.owner"`
	}
	if err := json.Unmarshal(b, &meta); err != nil || meta.PID == 0 || meta.Owner == "" {
		t.Fatalf("meta.json %s: %v (pid %d, owner %q)", m[0], err, meta.PID, meta.Owner)
	}
	return meta.PID
}

// TestSweepLeavesALiveUpAndUpNoticesItsDeath runs `up` as another terminal
// would, then `sweep` from here: the run is skipped, says why, and keeps
// serving. Then the deployment is killed under it — the container by
// `sweep --force`, the VM's QEMU by SIGKILL — and `up` says that it died
// and exits 1, having removed what was left.
func TestSweepLeavesALiveUpAndUpNoticesItsDeath(t *testing.T) {
	deployertest.RequireDocker(t)
	bin := buildCLI(t)
	for _, variant := range []string{"container", "vm"} {
		t.Run(variant, func(t *testing.T) {
			if variant == "vm" {
				deployertest.RequireQEMU(t)
			}
			runID := deployertest.RunID(t, "live"+variant[:2])
			sweepAfter(t, runID)
			cmd := exec.Command(bin, "up", variant, "--run-id", runID)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			url := waitLine(t, stdout, "http://127.0.0.1:", 3*time.Minute)

			out, err := exec.Command(bin, "sweep", "--run-id", runID).CombinedOutput()
			if err != nil {
				t.Fatalf("sweep: %v\n%s", err, out)
			}
			want := fmt.Sprintf("skipped run %s", runID)
			if !strings.Contains(string(out), want) || !strings.Contains(string(out), fmt.Sprintf("owner pid %d on this host is still running", cmd.Process.Pid)) ||
				regexp.MustCompile(`(?m)^removed \w+:`).Match(out) {
				t.Fatalf("sweep during a running up:\n%s\nwant %q and the owner's pid, nothing removed", out, want)
			}
			if !httpOK(url + "/healthz") {
				t.Fatalf("%s stopped answering after a sweep", url)
			}

			if variant == "container" {
				out, err = exec.Command(bin, "sweep", "--run-id", runID, "--force").CombinedOutput()
				if err != nil || !strings.Contains(string(out), "removed container: container") {
					t.Fatalf("sweep --force: %v\n%s", err, out)
				}
			} else if err := syscall.Kill(qemuPID(t, runID), syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(time.Minute):
				t.Fatalf("up did not notice its %s died:\n%s", variant, stderr.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("up exit = %v, want 1", err)
			}
			for _, want := range []string{"computeladder: the " + variant + " died:", "died while up"} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("up's stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			if left := leftovers(t, runID); len(left) > 0 {
				t.Errorf("left after up exited: %v", left)
			}
		})
	}
}

// TestUpDetachedAndDown: `up --detach` returns once the deployment
// answers, leaving it to a background process; `down` stops that process,
// which tears everything down.
func TestUpDetachedAndDown(t *testing.T) {
	deployertest.RequireDocker(t)
	bin := buildCLI(t)
	runID := deployertest.RunID(t, "detach")
	sweepAfter(t, runID)
	var stderr strings.Builder
	up := exec.Command(bin, "up", "container", "--detach", "--run-id", runID)
	up.Stderr = &stderr
	out, err := up.Output()
	if err != nil {
		t.Fatalf("up --detach: %v\n%s", err, stderr.String())
	}
	url := strings.TrimSpace(string(out))
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.Contains(stderr.String(), "computeladder down "+runID) {
		t.Fatalf("up --detach printed %q and\n%s", url, stderr.String())
	}
	if !httpOK(url + "/healthz") {
		t.Fatalf("%s does not answer after up --detach returned", url)
	}
	swept, err := exec.Command(bin, "sweep", "--run-id", runID).CombinedOutput()
	if err != nil || !strings.Contains(string(swept), "skipped run "+runID) {
		t.Fatalf("sweep of a detached up: %v\n%s", err, swept)
	}
	down, err := exec.Command(bin, "down", runID).CombinedOutput()
	if err != nil {
		t.Fatalf("down: %v\n%s", err, down)
	}
	for _, want := range []string{"SIGTERM to its owner", "run " + runID + " is down"} {
		if !strings.Contains(string(down), want) {
			t.Errorf("down's output lacks %q:\n%s", want, down)
		}
	}
	if left := leftovers(t, runID); len(left) > 0 {
		t.Fatalf("left after down: %v", left)
	}
	if httpOK(url + "/healthz") {
		t.Errorf("%s still answers after down", url)
	}
	again, err := exec.Command(bin, "down", runID).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(again), "nothing found") {
		t.Errorf("down of a run that is gone: %v\n%s; want exit 2", err, again)
	}
}
