package qemu

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The VM adapter, as PID 1, prints these lines on the serial console.
const (
	markerPrefix    = "computeladder-vm: "
	markerStarted   = "started"
	markerListening = "listening"
	// markerAnswered: the app served its first request (the readiness
	// probe's): its own account, held against the moment the probe saw the
	// 200 arrive.
	markerAnswered = "answered"
)

// marker is one parsed marker line.
type marker struct {
	kind string // markerStarted, markerListening or markerAnswered
	pid  int    // started
	// uptime is the guest's clock (time since the kernel booted) when the
	// event happened; hasUptime says the adapter printed it.
	uptime    time.Duration
	hasUptime bool
	addr      string // listening
}

// parseMarker parses "computeladder-vm: started pid=1 uptime=1.960312",
// "computeladder-vm: listening addr=[::]:8080 uptime=2.301207" and
// "computeladder-vm: answered uptime=2.330950" (uptime is left out by an
// adapter that cannot read the guest's clock). Kernel messages may share
// the line, so the prefix may appear anywhere; unknown fields are ignored
// so the adapter can add some.
func parseMarker(line string) (marker, bool) {
	i := strings.Index(line, markerPrefix)
	if i < 0 {
		return marker{}, false
	}
	fields := strings.Fields(line[i+len(markerPrefix):])
	if len(fields) == 0 {
		return marker{}, false
	}
	m := marker{kind: fields[0]}
	kv := map[string]string{}
	for _, f := range fields[1:] {
		if k, v, ok := strings.Cut(f, "="); ok {
			kv[k] = v
		}
	}
	if s, ok := kv["uptime"]; ok {
		up, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(up) || up < 0 || up > 1e6 {
			return marker{}, false
		}
		m.uptime, m.hasUptime = time.Duration(up*float64(time.Second)), true
	}
	switch m.kind {
	case markerStarted:
		pid, err := strconv.Atoi(kv["pid"])
		if err != nil || pid < 1 {
			return marker{}, false
		}
		m.pid = pid
	case markerListening:
		if kv["addr"] == "" {
			return marker{}, false
		}
		m.addr = kv["addr"]
	case markerAnswered:
	default:
		return marker{}, false
	}
	return m, true
}

// String renders the marker as the adapter prints it.
func (m marker) String() string {
	s := markerPrefix + m.kind
	switch m.kind {
	case markerStarted:
		s += fmt.Sprintf(" pid=%d", m.pid)
	case markerListening:
		s += " addr=" + m.addr
	}
	if m.hasUptime {
		s += fmt.Sprintf(" uptime=%.6f", m.uptime.Seconds())
	}
	return s
}

// seenMarker is a marker with the moment its line arrived on the host.
type seenMarker struct {
	marker
	at time.Time
}

// console collects a VM's serial output: it timestamps lines as they arrive,
// keeps the last ones for error messages, copies everything to a log and
// records the markers.
type console struct {
	mu        sync.Mutex
	tail      []string
	started   *seenMarker
	listening *seenMarker
	answered  *seenMarker
	appTail   []string      // the last lines that are not kernel messages
	panicLine string        // the kernel's first "Kernel panic" line
	changed   chan struct{} // closed and replaced whenever a marker arrives
}

const (
	consoleTailLines = 30
	appTailLines     = 10
)

// kernelLine matches a kernel message: "[    2.021485] ...".
var kernelLine = regexp.MustCompile(`^\[\s*\d+\.\d+\]`)

func newConsole() *console { return &console{changed: make(chan struct{})} }

// run reads r until EOF, copying it to log. It returns r's error, if any.
func (c *console) run(r io.Reader, log io.Writer) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			now := time.Now()
			if log != nil {
				_, _ = io.WriteString(log, line) // the log is a convenience; the tail is kept anyway
			}
			c.add(strings.TrimRight(line, "\r\n"), now)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func (c *console) add(line string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(line) > 512 {
		line = line[:512] + "…"
	}
	c.tail = append(c.tail, line)
	if len(c.tail) > consoleTailLines {
		c.tail = c.tail[len(c.tail)-consoleTailLines:]
	}
	if !kernelLine.MatchString(line) {
		c.appTail = append(c.appTail, line)
		if len(c.appTail) > appTailLines {
			c.appTail = c.appTail[len(c.appTail)-appTailLines:]
		}
	}
	if c.panicLine == "" {
		if i := strings.Index(line, "Kernel panic"); i >= 0 {
			c.panicLine = line[i:]
		}
	}
	m, ok := parseMarker(line)
	if !ok {
		return
	}
	sm := &seenMarker{marker: m, at: at}
	switch {
	case m.kind == markerStarted && c.started == nil:
		c.started = sm
	case m.kind == markerListening && c.listening == nil:
		c.listening = sm
	case m.kind == markerAnswered && c.answered == nil:
		c.answered = sm
	default:
		return
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// markers returns the markers seen so far and a channel closed at the next.
func (c *console) markers() (started, listening, answered *seenMarker, changed <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.started, c.listening, c.answered, c.changed
}

// Panic returns the kernel's panic message, if it panicked.
func (c *console) Panic() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.panicLine
}

// AppTail returns the last n lines that were not kernel messages: what the
// VM's /init printed.
func (c *console) AppTail(n int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.appTail
	if len(t) > n {
		t = t[len(t)-n:]
	}
	return strings.Join(t, "\n")
}

// Tail returns the last lines, joined, for error messages.
func (c *console) Tail(n int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tail
	if len(t) > n {
		t = t[len(t)-n:]
	}
	return strings.Join(t, "\n")
}
