package qemu

import (
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
)

func TestParseMarker(t *testing.T) {
	tests := []struct {
		line string
		want marker
		ok   bool
	}{
		{"computeladder-vm: started pid=1 uptime=1.96", marker{kind: markerStarted, pid: 1, uptime: 1960 * time.Millisecond, hasUptime: true}, true},
		{"computeladder-vm: started pid=1", marker{kind: markerStarted, pid: 1}, true},
		{"computeladder-vm: started pid=1 uptime=0.00 extra=field", marker{kind: markerStarted, pid: 1, hasUptime: true}, true},
		{"\r[    2.1] noise computeladder-vm: started pid=7 uptime=2.5\r", marker{kind: markerStarted, pid: 7, uptime: 2500 * time.Millisecond, hasUptime: true}, true},
		{"computeladder-vm: listening addr=[::]:8080", marker{kind: markerListening, addr: "[::]:8080"}, true},
		{"computeladder-vm: listening addr=0.0.0.0:8080 proto=tcp", marker{kind: markerListening, addr: "0.0.0.0:8080"}, true},
		{"computeladder-vm: answered", marker{kind: markerAnswered}, true},
		{"computeladder-vm: answered path=/healthz", marker{kind: markerAnswered}, true},
		{"computeladder-vm: listening addr=[::]:8080 uptime=2.301207", marker{kind: markerListening, addr: "[::]:8080", uptime: 2301207 * time.Microsecond, hasUptime: true}, true},
		{"computeladder-vm: answered uptime=2.330950", marker{kind: markerAnswered, uptime: 2330950 * time.Microsecond, hasUptime: true}, true},
		{"computeladder-vm: answered uptime=-0.1", marker{}, false},          // negative
		{"computeladder-vm: listening addr=:8080 uptime=x", marker{}, false}, // garbage
		{"computeladder-vm: started uptime=1.0", marker{}, false},            // no pid
		{"computeladder-vm: started pid=0 uptime=1.0", marker{}, false},      // pid 0
		{"computeladder-vm: started pid=x uptime=1.0", marker{}, false},      // bad pid
		{"computeladder-vm: started pid=1 uptime=-1", marker{}, false},       // negative
		{"computeladder-vm: started pid=1 uptime=NaN", marker{}, false},      // NaN
		{"computeladder-vm: started pid=1 uptime=abc", marker{}, false},      // garbage
		{"computeladder-vm: listening", marker{}, false},                     // no addr
		{"computeladder-vm: listening addr=", marker{}, false},               // empty addr
		{"computeladder-vm: fatal: bind: address in use", marker{}, false},   // other line
		{"computeladder-vm:", marker{}, false},
		{"[    0.51] Unpacking initramfs...", marker{}, false},
		{"", marker{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, ok := parseMarker(tt.line)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("parseMarker(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParseMarker(f *testing.F) {
	for _, s := range []string{
		"computeladder-vm: started pid=1 uptime=1.96",
		"computeladder-vm: started pid=1",
		"computeladder-vm: listening addr=[::]:8080",
		"computeladder-vm: listening addr=[::]:8080 uptime=2.301207",
		"computeladder-vm: answered uptime=2.330950",
		"junk computeladder-vm: listening addr=x y=z",
		"computeladder-vm: started pid=99999999999999999999 uptime=1e308",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		m, ok := parseMarker(line)
		if !ok {
			return
		}
		if m.uptime < 0 || (!m.hasUptime && m.uptime != 0) {
			t.Fatalf("accepted %q as %+v", line, m)
		}
		switch m.kind {
		case markerStarted:
			if m.pid < 1 {
				t.Fatalf("accepted %q as %+v", line, m)
			}
		case markerListening:
			if m.addr == "" || strings.ContainsAny(m.addr, " \t\n") {
				t.Fatalf("accepted %q as %+v", line, m)
			}
		case markerAnswered:
		default:
			t.Fatalf("accepted unknown kind %q", m.kind)
		}
		// What the adapter would print for it parses back to the same marker
		// (uptime to the printed precision).
		back, ok := parseMarker(m.String())
		if !ok || back.kind != m.kind || back.pid != m.pid || back.addr != m.addr || back.hasUptime != m.hasUptime {
			t.Fatalf("%+v printed as %q parses back as %+v, %v", m, m.String(), back, ok)
		}
		if d := back.uptime - m.uptime; d > 10*time.Millisecond || d < -10*time.Millisecond {
			t.Fatalf("uptime %v printed as %q parses back as %v", m.uptime, m.String(), back.uptime)
		}
	})
}

func TestConsoleRun(t *testing.T) {
	c := newConsole()
	var log strings.Builder
	input := "[    0.000000] Linux version 7.1.2\r\n" +
		"computeladder-vm: started pid=1 uptime=2.00\n" +
		"computeladder-vm: started pid=2 uptime=9.00\n" + // only the first counts
		"computeladder-vm: listening addr=[::]:8080\n" +
		"computeladder-vm: answered\n" +
		"no newline at the end"
	before := time.Now()
	if err := c.run(strings.NewReader(input), &log); err != nil {
		t.Fatal(err)
	}
	if log.String() != input {
		t.Errorf("log = %q, want the input", log.String())
	}
	started, listening, answered, _ := c.markers()
	if answered == nil || answered.at.Before(listening.at) {
		t.Errorf("answered = %+v", answered)
	}
	if started == nil || started.pid != 1 || started.uptime != 2*time.Second || started.at.Before(before) {
		t.Errorf("started = %+v", started)
	}
	if listening == nil || listening.addr != "[::]:8080" {
		t.Errorf("listening = %+v", listening)
	}
	if got := c.Tail(2); got != "computeladder-vm: answered\nno newline at the end" {
		t.Errorf("Tail(2) = %q", got)
	}
	if got := c.AppTail(10); strings.Contains(got, "Linux version") || !strings.HasPrefix(got, "computeladder-vm: started pid=1") {
		t.Errorf("AppTail = %q, want the non-kernel lines", got)
	}
	if c.Panic() != "" {
		t.Errorf("Panic() = %q without a panic", c.Panic())
	}
	c.add("[    2.02] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000", time.Now())
	c.add("[    2.03] Kernel Offset: 0x13a00000", time.Now())
	if got := c.Panic(); got != "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000" {
		t.Errorf("Panic() = %q", got)
	}
}

func TestConsoleTailIsBounded(t *testing.T) {
	c := newConsole()
	var b strings.Builder
	for i := 0; i < 3*consoleTailLines; i++ {
		b.WriteString("line\n")
	}
	b.WriteString(strings.Repeat("x", 10000) + "\n")
	if err := c.run(strings.NewReader(b.String()), nil); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(c.Tail(1000), "\n") + 1; n != consoleTailLines {
		t.Errorf("tail holds %d lines, want %d", n, consoleTailLines)
	}
	if last := c.Tail(1); len(last) > 600 {
		t.Errorf("a long line is kept whole (%d bytes)", len(last))
	}
}

func TestMarkBootPhases(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name      string
		started   *seenMarker
		listening *seenMarker
		answered  *seenMarker
		ready     time.Time
		want      string
		lag       time.Duration
	}{
		{
			name:      "all markers",
			started:   &seenMarker{marker{kind: markerStarted, pid: 1, uptime: 2 * time.Second, hasUptime: true}, at(3500)},
			listening: &seenMarker{marker{kind: markerListening, addr: ":8080"}, at(3600)},
			answered:  &seenMarker{marker{kind: markerAnswered}, at(3695)},
			ready:     at(3700),
			want:      "deploy 0s → qemu-started 50ms → kernel 1.5s → init 3.5s → listening 3.6s → answered 3.695s → first-200 3.7s",
			lag:       5 * time.Millisecond,
		},
		{
			name:      "answered line later than the 200: clamped, the lag says so",
			started:   &seenMarker{marker{kind: markerStarted, pid: 1}, at(3500)},
			listening: &seenMarker{marker{kind: markerListening, addr: ":8080"}, at(3600)},
			answered:  &seenMarker{marker{kind: markerAnswered}, at(3702)},
			ready:     at(3700),
			want:      "deploy 0s → qemu-started 50ms → init 3.5s → listening 3.6s → answered 3.7s → first-200 3.7s",
			lag:       -2 * time.Millisecond,
		},
		{
			// The listening line came in 10 ms after its event (formatted
			// and sent while the guest was busy), the answered line 5 ms:
			// both are dated by the guest's clock through the answered line.
			name:      "guest clock dates listening and answered",
			started:   &seenMarker{marker{kind: markerStarted, pid: 1}, at(3500)},
			listening: &seenMarker{marker{kind: markerListening, addr: ":8080", uptime: 2100 * time.Millisecond, hasUptime: true}, at(3610)},
			answered:  &seenMarker{marker{kind: markerAnswered, uptime: 2190 * time.Millisecond, hasUptime: true}, at(3695)},
			ready:     at(3700),
			want:      "deploy 0s → qemu-started 50ms → init 3.5s → listening 3.605s → answered 3.695s → first-200 3.7s",
			lag:       5 * time.Millisecond,
		},
		{
			name:      "guest clock on one line only: arrival dates both",
			started:   &seenMarker{marker{kind: markerStarted, pid: 1}, at(3500)},
			listening: &seenMarker{marker{kind: markerListening, addr: ":8080", uptime: 2100 * time.Millisecond, hasUptime: true}, at(3610)},
			answered:  &seenMarker{marker{kind: markerAnswered}, at(3695)},
			ready:     at(3700),
			want:      "deploy 0s → qemu-started 50ms → init 3.5s → listening 3.61s → answered 3.695s → first-200 3.7s",
			lag:       5 * time.Millisecond,
		},
		{
			name:    "kernel clamped at qemu-started, no listening marker",
			started: &seenMarker{marker{kind: markerStarted, pid: 1, uptime: 9 * time.Second, hasUptime: true}, at(3500)},
			ready:   at(3700),
			want:    "deploy 0s → qemu-started 50ms → kernel 50ms → init 3.5s → first-200 3.7s",
		},
		{
			name:      "late lines clamped at first-200",
			started:   &seenMarker{marker{kind: markerStarted, pid: 1}, at(3500)},
			listening: &seenMarker{marker{kind: markerListening, addr: ":8080"}, at(3900)},
			ready:     at(3700),
			want:      "deploy 0s → qemu-started 50ms → init 3.5s → listening 3.7s → first-200 3.7s",
		},
		{
			name:  "no markers",
			ready: at(3700),
			want:  "deploy 0s → qemu-started 50ms → first-200 3.7s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConsole()
			c.started, c.listening, c.answered = tt.started, tt.listening, tt.answered
			var tl deployers.Timeline
			tl.Mark("deploy", t0)
			tl.Mark("qemu-started", at(50))
			start := time.Now()
			lag, seen := markBootPhases(&tl, c, tt.ready)
			if tt.started != nil && tt.listening != nil && tt.answered != nil && time.Since(start) > markerGrace/2 {
				t.Errorf("waited %v although every marker was there", time.Since(start))
			}
			if seen != (tt.answered != nil) || lag != tt.lag {
				t.Errorf("answered → 200 %v (answered seen %v), want %v (%v)", lag, seen, tt.lag, tt.answered != nil)
			}
			tl.Mark("first-200", tt.ready)
			if got := tl.String(); got != tt.want {
				t.Errorf("timeline\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestMarkBootPhasesWaitsForLateMarker(t *testing.T) {
	c := newConsole()
	c.add("computeladder-vm: started pid=1 uptime=1.00", time.Now())
	go func() {
		time.Sleep(20 * time.Millisecond)
		c.add("computeladder-vm: listening addr=:8080", time.Now())
	}()
	now := time.Now()
	tl := deployers.Timeline{{Name: "deploy", At: now.Add(-3 * time.Second)}, {Name: "qemu-started", At: now.Add(-3 * time.Second)}}
	markBootPhases(&tl, c, time.Now().Add(time.Second))
	if _, ok := tl.Since("listening"); !ok {
		t.Fatalf("listening marker that arrived 20ms late is missing: %s", tl)
	}
}
