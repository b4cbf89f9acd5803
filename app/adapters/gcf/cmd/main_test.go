//go:build unix

package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/computeladder/computeladder/app/adapters/internal/proctest"
	"github.com/computeladder/computeladder/app/apptest"
)

func TestMain(m *testing.M) {
	proctest.MainIfChild(main)
	os.Exit(m.Run())
}

// TestBehaviourTable runs the shared behaviour table against the adapter
// served by the real Functions Framework in its own process: the same rows
// the VM, container and Lambda adapters pass, with /whoami saying "gcf".
func TestBehaviourTable(t *testing.T) {
	port := freePort(t)
	p := proctest.Start(t, []string{"PORT=" + port, "LOCAL_ONLY=true", "FUNCTION_TARGET="})
	p.WaitLine(t, regexp.MustCompile(`serving function Checkout \(platform gcf\) on 127\.0\.0\.1:`+port), 10*time.Second)
	url := "http://127.0.0.1:" + port
	waitHealthy(t, p, url, 10*time.Second)
	apptest.Run(t, "gcf", apptest.URLDoer(url, nil))
}

// TestStartFailsWithAHint covers the two mistakes a student makes locally:
// a target that names no function, and a port that is taken.
func TestStartFailsWithAHint(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	t.Cleanup(func() {
		if taken != nil {
			taken.Close()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	takenPort := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"unknown target", []string{"PORT=" + freePort(t), "FUNCTION_TARGET=Nope"}, `no matching function found with name: "Nope"`},
		{"port in use", []string{"PORT=" + takenPort}, `address already in use`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := proctest.Start(t, append(tc.env, "LOCAL_ONLY=true"))
			p.WaitLine(t, regexp.MustCompile(`gcf: .*`+regexp.QuoteMeta(tc.want)+`.*\(check FUNCTION_TARGET=Checkout`), 10*time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if ws, err := p.Wait(ctx); err != nil || ws.ExitStatus() != 1 {
				t.Errorf("exit %v %v, want status 1; output:\n%s", ws, err, p.Output())
			}
		})
	}
}

// freePort returns a port that was free a moment ago: the framework takes
// a port number, not a listener, so the test cannot hand it port 0.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// waitHealthy polls /healthz every 10 ms: the framework logs nothing once
// it listens, so the first 200 is the only sign of readiness.
func waitHealthy(t *testing.T, p *proctest.Proc, url string, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, err := client.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("GET %s/healthz: no 200 within %v; output:\n%s", url, timeout, p.Output())
}
