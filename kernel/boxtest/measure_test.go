package boxtest

import (
	"fmt"
	"strings"
	"time"

	"github.com/goxen/goxen/box"
)

// What the box tests measure against an outside clock (the host's time
// of arrival of the guest's console lines) and an outside meter (QEMU's
// CPU time when a line arrived). Host tests in measure_host_test.go.

// clockFit sets the guest's clock against the host's over the guest's
// "clock mark <ns>" lines.
type clockFit struct {
	Marks       int
	Guest, Host time.Duration // elapsed from the first mark to the last
	Ratio       float64       // Guest / Host: 1 for a guest clock that runs true
	// Jitter: how far the marks' arrivals stray from the straight line
	// through the first and the last (max minus min of the deviations).
	// A console that holds lines back before passing them on shows here.
	Jitter time.Duration
}

// fitClock reads the marks; it needs at least six spanning five seconds
// of host time.
func fitClock(lines []box.ConsoleLine) (clockFit, error) {
	var g, h []time.Duration
	for _, l := range lines {
		var ns int64
		if _, err := fmt.Sscanf(l.Text, "clock mark %d", &ns); err == nil && strings.HasPrefix(l.Text, "clock mark ") {
			g, h = append(g, time.Duration(ns)), append(h, l.At)
		}
	}
	n := len(g)
	if n < 6 {
		return clockFit{Marks: n}, fmt.Errorf("%d clock marks, want at least 6", n)
	}
	f := clockFit{Marks: n, Guest: g[n-1] - g[0], Host: h[n-1] - h[0]}
	if f.Host < 5*time.Second || f.Guest <= 0 {
		return f, fmt.Errorf("the marks span %v of host time and %v of guest time, want at least 5 s", f.Host, f.Guest)
	}
	f.Ratio = float64(f.Guest) / float64(f.Host)
	lo, hi := time.Duration(0), time.Duration(0)
	for i := range g {
		dev := (h[i] - h[0]) - time.Duration(float64(g[i]-g[0])/f.Ratio)
		lo, hi = min(lo, dev), max(hi, dev)
	}
	f.Jitter = hi - lo
	return f, nil
}

// cpuBetween is the CPU time QEMU burnt, and the host time that passed,
// between the arrivals of the first console line that is from and the
// first after it that is to.
func cpuBetween(lines []box.ConsoleLine, from, to string) (cpu, host time.Duration, err error) {
	i := 0
	for i < len(lines) && lines[i].Text != from {
		i++
	}
	j := i + 1
	for j < len(lines) && lines[j].Text != to {
		j++
	}
	if j >= len(lines) {
		return 0, 0, fmt.Errorf("console lacks %q followed by %q", from, to)
	}
	a, b := lines[i], lines[j]
	if a.QEMUCPU < 0 || b.QEMUCPU < 0 {
		return 0, 0, fmt.Errorf("QEMU's CPU time unknown at %q or %q", from, to)
	}
	return b.QEMUCPU - a.QEMUCPU, b.At - a.At, nil
}
