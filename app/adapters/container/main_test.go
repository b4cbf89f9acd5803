//go:build unix

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
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

var listening = regexp.MustCompile(`^\{.*"msg":"listening","addr":"\S+:(\d+)"\}$`)

func TestServesLogsJSONAndDrainsOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			p := proctest.Start(t, []string{"PORT=0", "LOG_REQUESTS=true"})
			port := p.WaitLine(t, listening, 10*time.Second)[1]
			resp, err := http.Get("http://127.0.0.1:" + port + "/whoami")
			if err != nil {
				t.Fatal(err)
			}
			var w app.Whoami
			err = json.NewDecoder(resp.Body).Decode(&w)
			resp.Body.Close()
			if err != nil || w.Platform != app.PlatformContainer {
				t.Errorf("GET /whoami = %+v (%v), want platform container", w, err)
			}
			p.WaitLine(t, regexp.MustCompile(`"msg":"request","method":"GET","path":"/whoami","status":200`), 5*time.Second)

			if err := p.Signal(sig); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			ws, err := p.Wait(ctx)
			if err != nil || ws.ExitStatus() != 0 {
				t.Errorf("after %v: %v %v, want exit 0; output:\n%s", sig, ws, err, p.Output())
			}
			for _, line := range strings.Split(p.Output(), "\n") {
				if !json.Valid([]byte(line)) {
					t.Errorf("log line is not JSON: %q", line)
				}
			}
			if !strings.Contains(p.Output(), `"msg":"stopped"`) {
				t.Errorf("no clean stop logged:\n%s", p.Output())
			}
		})
	}
}

func TestBadPortExits1(t *testing.T) {
	p := proctest.Start(t, []string{"PORT=99999"})
	p.WaitLine(t, regexp.MustCompile(`"level":"ERROR","msg":"exiting","err":"PORT=\\"99999\\": set PORT`), 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if ws, err := p.Wait(ctx); err != nil || ws.ExitStatus() != 1 {
		t.Errorf("exit %v %v, want status 1", ws, err)
	}
}

// TestExitsAtItsTimeToLive checks that the adapter drains and exits 0 once
// $COMPUTELADDER_TTL has passed, with no signal: what stops a Fargate task
// that a killed harness left running.
func TestExitsAtItsTimeToLive(t *testing.T) {
	p := proctest.Start(t, []string{"PORT=0", "COMPUTELADDER_TTL=1s"})
	p.WaitLine(t, listening, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, err := p.Wait(ctx)
	if err != nil || ws.ExitStatus() != 0 {
		t.Fatalf("after its ttl: %v %v, want exit 0; output:\n%s", ws, err, p.Output())
	}
	if !strings.Contains(p.Output(), `"ttl":"1s"`) || !strings.Contains(p.Output(), `"msg":"stopped"`) {
		t.Errorf("want the ttl logged and a clean stop:\n%s", p.Output())
	}
}

func TestBadTTLExits1(t *testing.T) {
	p := proctest.Start(t, []string{"PORT=0", "COMPUTELADDER_TTL=soon"})
	p.WaitLine(t, regexp.MustCompile(`"msg":"exiting","err":"COMPUTELADDER_TTL=\\"soon\\"`), 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if ws, err := p.Wait(ctx); err != nil || ws.ExitStatus() != 1 {
		t.Errorf("exit %v %v, want status 1", ws, err)
	}
}
