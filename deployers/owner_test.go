package deployers

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestOwnerRoundTripsThroughItsLabel(t *testing.T) {
	o, err := ParseOwner(Self())
	if err != nil {
		t.Fatal(err)
	}
	if o.PID != os.Getpid() || o.Host == "" || o.Start == "" || time.Since(o.Since) > time.Hour {
		t.Fatalf("Self() = %q parses to %+v: want this process", Self(), o)
	}
	if Self() != Self() {
		t.Error("Self changes within one process")
	}
	for _, bad := range []string{"", "x@h/1/2", "1@h/1", "1@/1/2", "0@h/1/2", "1@h/1/x", "12h/1/2"} {
		if _, err := ParseOwner(bad); err == nil {
			t.Errorf("ParseOwner(%q) accepted it", bad)
		}
	}
}

// TestOwnerLiveness checks each branch of the rule with real processes: this
// one (alive), a child that has exited and been reaped (gone), this pid
// with another start time (a reused pid: gone), another host (alive until
// the TTL).
func TestOwnerLiveness(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("process start times are read on Linux and macOS only")
	}
	me, _ := ParseOwner(Self())
	now := time.Now()
	ttl := time.Hour

	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	exited := me
	exited.PID = cmd.Process.Pid

	reused := me
	reused.Start = me.Start + "1"

	elsewhere := me
	elsewhere.Host = me.Host + "-other"
	old := elsewhere
	old.Since = now.Add(-2 * ttl)

	for _, tc := range []struct {
		name  string
		owner string
		alive bool
		why   string
	}{
		{"this process", me.String(), true, "still running"},
		{"an exited process", exited.String(), false, "has exited"},
		{"a reused pid", reused.String(), false, "belongs to another process"},
		{"another host, young", elsewhere.String(), true, "younger than the TTL"},
		{"another host, old", old.String(), false, "older than the TTL"},
		{"no owner", "", false, "no owner recorded"},
		{"a damaged label", "garbage", false, "want PID@HOST"},
	} {
		l := OwnerLiveness(tc.owner, now, ttl)
		if l.Alive != tc.alive || !strings.Contains(l.Why, tc.why) {
			t.Errorf("%s (%q): alive %v, %q; want alive %v and %q", tc.name, tc.owner, l.Alive, l.Why, tc.alive, tc.why)
		}
	}
}
