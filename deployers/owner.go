package deployers

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Owner labels and tags: every resource a deployer creates also carries its
// owner, the process that created it, so that a sweep can leave alone what
// a process still running (another terminal's `up`, a lab) holds.
const (
	// LabelOwner is the Docker label (and the key in state files) holding
	// the owner (Owner.String).
	LabelOwner = "computeladder.owner"
	// TagOwner is the AWS tag key holding the owner.
	TagOwner = "computeladder:owner"
)

// DefaultOwnerTTL is how long a sweep leaves alone a resource whose owner
// runs on another host, where its liveness cannot be checked.
const DefaultOwnerTTL = 24 * time.Hour

// Owner is the process that created a resource: its host, its pid, the
// kernel's start time of that pid (so that a pid the kernel gave to
// another process since is not mistaken for the owner) and the wall time
// the owner began.
//
// Its text form, the label's value, is "PID@HOST/START/SINCE": START is
// opaque — clock ticks since boot on Linux (/proc/PID/stat, field 22),
// microseconds since the epoch on macOS (sysctl kern.proc.pid) — and is
// compared only on the same host; SINCE is Unix seconds. All of its
// characters are allowed in Docker labels and AWS tag values.
type Owner struct {
	Host  string
	PID   int
	Start string
	Since time.Time
}

func (o Owner) String() string {
	return fmt.Sprintf("%d@%s/%s/%d", o.PID, o.Host, o.Start, o.Since.Unix())
}

// ParseOwner reads an owner label; "" and malformed values are errors.
func ParseOwner(s string) (Owner, error) {
	bad := fmt.Errorf("owner %q: want PID@HOST/START/SINCE", s)
	pid, rest, ok := strings.Cut(s, "@")
	if !ok {
		return Owner{}, bad
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return Owner{}, bad
	}
	p, err := strconv.Atoi(pid)
	if err != nil || p < 1 {
		return Owner{}, bad
	}
	since, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return Owner{}, bad
	}
	return Owner{Host: parts[0], PID: p, Start: parts[1], Since: time.Unix(since, 0)}, nil
}

var self = sync.OnceValue(func() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	// A host name never holds '/' or '@'; keep the label parseable anyway.
	host = strings.NewReplacer("/", "-", "@", "-", " ", "-").Replace(host)
	pid := os.Getpid()
	start, err := ProcessStart(pid)
	if err != nil {
		start = "0"
	}
	return Owner{Host: host, PID: pid, Start: start, Since: time.Now()}.String()
})

// Self is the owner label of what this process creates: the same value for
// the whole life of the process.
func Self() string { return self() }

// Liveness is what a sweep decides about an owner.
type Liveness struct {
	// Alive: leave the resource alone (unless forced).
	Alive bool
	// Why says how that was decided, for the sweep's output.
	Why string
}

// OwnerLiveness decides whether the owner label owner still holds its
// resources, by this rule:
//
//   - no owner label, or one that cannot be read (a resource from before
//     owners were recorded): not alive;
//   - an owner on this host: alive when a process with its pid runs and
//     started when the owner did (a pid reused since is another process),
//     and is not a zombie;
//   - an owner on another host (a cloud resource created elsewhere): its
//     process cannot be checked from here, so it counts as alive until it
//     is older than ttl.
func OwnerLiveness(owner string, now time.Time, ttl time.Duration) Liveness {
	if owner == "" {
		return Liveness{Why: "no owner recorded"}
	}
	o, err := ParseOwner(owner)
	if err != nil {
		return Liveness{Why: err.Error()}
	}
	me, _ := ParseOwner(Self())
	if o.Host != me.Host {
		age := now.Sub(o.Since).Round(time.Second)
		if age < ttl {
			return Liveness{Alive: true, Why: fmt.Sprintf("owner pid %d on another host, %s, started %s ago (younger than the TTL %s)", o.PID, o.Host, age, ttl)}
		}
		return Liveness{Why: fmt.Sprintf("owner pid %d on another host, %s, started %s ago (older than the TTL %s)", o.PID, o.Host, age, ttl)}
	}
	start, err := ProcessStart(o.PID)
	switch {
	case err != nil:
		return Liveness{Why: fmt.Sprintf("owner pid %d has exited", o.PID)}
	case start != o.Start:
		return Liveness{Why: fmt.Sprintf("owner pid %d has exited (the pid now belongs to another process)", o.PID)}
	}
	return Liveness{Alive: true, Why: fmt.Sprintf("owner pid %d on this host is still running (since %s)", o.PID, o.Since.Format(time.TimeOnly))}
}
