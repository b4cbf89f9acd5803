package kit

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/load"
)

// Progress prints what a lab run is doing to w, one line per event, each
// with the time since the run began. A nil *Progress prints nothing (the
// --quiet of every lab command), so it can be handed on as is.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

// NewProgress prints to w, timing from now.
func NewProgress(w io.Writer) *Progress { return &Progress{w: w, start: time.Now()} }

// Printf prints one line.
func (p *Progress) Printf(format string, a ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "[%6.1fs] ", time.Since(p.start).Seconds())
	fmt.Fprintf(p.w, format, a...)
	fmt.Fprintln(p.w)
}

// Phase reports that variant v entered a phase, with a short detail.
func (p *Progress) Phase(v deployers.Variant, phase, detail string) {
	p.Printf("%-9s %-10s %s", v, phase, detail)
}

// Load reports live figures of a warm load.
func (p *Progress) Load(v deployers.Variant, l load.Progress) {
	p.Printf("%-9s %-10s %5.1f req/s, %d sent, %d errors", v, "load", l.LiveRate, l.Sent, l.Errors)
}
