package main

import (
	"fmt"
	"io"
	"time"
)

// progress prints a single self-overwriting status line on a terminal. It is
// silent when the stream is not interactive, so logs and pipes stay clean.
type progress struct {
	w       io.Writer
	on      bool
	label   string
	total   int
	start   time.Time
	lastOut time.Time
}

func newProgress(e *env, label string, total int) *progress {
	return &progress{w: e.stderr, on: e.interactive, label: label, total: total, start: time.Now()}
}

// update reports done units out of total; it throttles to 10 lines a second.
func (p *progress) update(done int) {
	if !p.on {
		return
	}
	now := time.Now()
	if done < p.total && now.Sub(p.lastOut) < 100*time.Millisecond {
		return
	}
	p.lastOut = now
	el := now.Sub(p.start).Seconds()
	fmt.Fprintf(p.w, "\r%s: %d/%d (%.0f %%) %.1f s", p.label, done, p.total, 100*float64(done)/float64(max(p.total, 1)), el)
}

// done clears the line.
func (p *progress) done() {
	if p.on {
		fmt.Fprintf(p.w, "\r\033[K")
	}
}
