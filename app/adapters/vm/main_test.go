//go:build linux

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/computeladder/computeladder/app"
	"github.com/computeladder/computeladder/app/adapters/internal/proctest"
)

func TestMain(m *testing.M) {
	proctest.MainIfChild(main)
	os.Exit(m.Run())
}

// The marker lines the QEMU deployer parses (exact format).
var (
	startedLine   = regexp.MustCompile(`^computeladder-vm: started pid=(\d+)( uptime=\d+\.\d+)?$`)
	listeningLine = regexp.MustCompile(`^computeladder-vm: listening addr=(\S+:(\d+)) uptime=\d+\.\d{6}$`)
	answeredLine  = regexp.MustCompile(`^computeladder-vm: answered uptime=(\d+\.\d{6})$`)
)

func TestServesWithMarkersAndStopsOnSIGTERM(t *testing.T) {
	p := proctest.Start(t, []string{"PORT=0"})
	m := p.WaitLine(t, startedLine, 10*time.Second)
	if m[1] != strconv.Itoa(p.Pid()) || m[2] == "" {
		t.Errorf("started line %q: want pid=%d and an uptime", m[0], p.Pid())
	}
	l := p.WaitLine(t, listeningLine, 10*time.Second)
	checkWhoami(t, "http://127.0.0.1:"+l[2])
	// Each marker carries the clock it was taken at: answered after listening.
	a := p.WaitLine(t, answeredLine, 10*time.Second)
	if lu, au := clockOf(t, l[0]), clockOf(t, a[0]); au < lu {
		t.Errorf("answered at uptime %v, before listening at %v", au, lu)
	}

	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ws := wait(t, p)
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("after SIGTERM: %v, want exit 0; output:\n%s", ws, p.Output())
	}
}

func TestBadPortExits1(t *testing.T) {
	p := proctest.Start(t, []string{"PORT=http"})
	p.WaitLine(t, regexp.MustCompile(`fatal: PORT="http": set PORT`), 10*time.Second)
	if ws := wait(t, p); ws.ExitStatus() != 1 {
		t.Errorf("exit status %d, want 1", ws.ExitStatus())
	}
}

// TestAsPID1 runs the adapter as PID 1 of a new PID and mount namespace,
// as in the microVM: it must mount /proc, /sys and /dev and, on a clean
// shutdown, power off, which in a PID namespace the kernel turns into
// SIGINT for its init instead of stopping the machine.
func TestAsPID1(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root for a PID namespace")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("skipping: unshare (util-linux) not on PATH")
	}
	p := proctest.Start(t, []string{"PORT=0"}, "unshare", "--pid", "--fork", "--mount", "--propagation", "private")
	if m := p.WaitLine(t, startedLine, 10*time.Second); m[1] != "1" || m[2] == "" {
		t.Errorf("started line %q: want pid=1 and an uptime", m[0])
	}
	port := p.WaitLine(t, listeningLine, 10*time.Second)[2]
	checkWhoami(t, "http://127.0.0.1:"+port)

	init := childOf(t, p.Pid())
	mounts, err := os.ReadFile(filepath.Join("/proc", init, "mountinfo"))
	if err != nil {
		t.Fatal(err)
	}
	// /proc is new in a new PID namespace; sysfs and devtmpfs have one
	// instance, so where the host has them mounted already, at the same
	// place, the kernel answers EBUSY and the existing mount stays.
	for _, want := range []string{
		` / /proc rw,nosuid,nodev,noexec\S* .*- proc `,
		` / /sys \S+ .*- sysfs `,
		` / /dev \S+ .*- devtmpfs `,
	} {
		if !regexp.MustCompile(want).Match(mounts) {
			t.Errorf("init's mounts lack %q:\n%s", want, mounts)
		}
	}
	if err := syscall.Kill(mustAtoi(t, init), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ws := wait(t, p)
	// unshare passes its child's death by a signal on: it dies of the same
	// signal (or, in older versions, exits 128+signal).
	if !(ws.Signaled() && ws.Signal() == syscall.SIGINT) && ws.ExitStatus() != 128+int(syscall.SIGINT) {
		t.Errorf("after SIGTERM: %v, want the power-off (SIGINT, status 130); output:\n%s", ws, p.Output())
	}
}

func checkWhoami(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url + "/whoami")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var w app.Whoami
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil || resp.StatusCode != 200 || w.Platform != app.PlatformVM {
		t.Errorf("GET /whoami = %s %+v (%v), want 200 from platform vm", resp.Status, w, err)
	}
}

func wait(t *testing.T, p *proctest.Proc) syscall.WaitStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ws, err := p.Wait(ctx)
	if err != nil {
		t.Fatalf("%v; output:\n%s", err, p.Output())
	}
	return ws
}

// childOf returns the pid of pid's only child, as the host sees it.
func childOf(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "task", strconv.Itoa(pid), "children"))
	if err != nil {
		t.Skipf("skipping: cannot find the namespace's init: %v", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 1 {
		t.Fatalf("unshare has children %q, want one", f)
	}
	return f[0]
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// clockOf returns the uptime= of a marker line.
func clockOf(t *testing.T, line string) float64 {
	t.Helper()
	_, v, ok := strings.Cut(line, " uptime=")
	f, err := strconv.ParseFloat(v, 64)
	if !ok || err != nil {
		t.Fatalf("no uptime in %q", line)
	}
	return f
}
