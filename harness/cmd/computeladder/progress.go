package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/load"
)

// progress prints what a lab run is doing to w, one line per event, each
// with the time since the run began.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newProgress(w io.Writer) *progress { return &progress{w: w, start: time.Now()} }

func (p *progress) printf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "[%6.1fs] ", time.Since(p.start).Seconds())
	fmt.Fprintf(p.w, format, a...)
	fmt.Fprintln(p.w)
}

func (p *progress) Phase(v deployers.Variant, phase, detail string) {
	p.printf("%-9s %-10s %s", v, phase, detail)
}

func (p *progress) Load(v deployers.Variant, l load.Progress) {
	p.printf("%-9s %-10s %5.1f req/s, %d sent, %d errors", v, "load", l.LiveRate, l.Sent, l.Errors)
}
