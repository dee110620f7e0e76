package boxtest

import (
	"fmt"
	"maps"
	"slices"
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

// timerFit judges the ticker guest's samples ("late KIND I NS" lines, see
// testdata/ticker) by what the guest controls. A wakeup's lateness is the
// guest's timer path plus however long the host kept the emulated CPU
// from running, and a loaded machine can hold every wakeup back for a
// second on end (a run with two busy loops on the host had all five
// AfterFuncs 19-47 ms late, and ticks 15-19 22-53 ms). The earliest of
// all the wakeups, over the few seconds the guest runs, is the guest's
// own. The ticker's schedule, the time each tick was due, is the guest's
// alone: its drift is how the earliest tick of the last quarter of the
// run, against the first tick's due time plus whole periods, compares
// with that of the first quarter.
type timerFit struct {
	Sleep, After, Tick  lateness      // each wakeup against its due time
	Earliest            time.Duration // of all the wakeups
	SlipFirst, SlipLast time.Duration // the earliest due time of the first and the last quarter's ticks, against the schedule
	Drift               float64       // ms per second: SlipLast - SlipFirst over the time between the quarters
	Dropped             int           // ticks that came too late for the channel
}

// lateness is one kind of sample: how many, the earliest, the median and
// the latest.
type lateness struct {
	N                int
	Min, Median, Max time.Duration
}

func (l lateness) String() string {
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	return fmt.Sprintf("%d: min %.3f median %.3f max %.3f ms", l.N, ms(l.Min), ms(l.Median), ms(l.Max))
}

func summarize(s []time.Duration) lateness {
	if len(s) == 0 {
		return lateness{}
	}
	s = slices.Sorted(slices.Values(s))
	return lateness{N: len(s), Min: s[0], Median: s[len(s)/2], Max: s[len(s)-1]}
}

// fitTimers reads the samples; it wants every kind there (at least four
// ticks), no wakeup before its time, and the ticker's period.
func fitTimers(console string) (timerFit, error) {
	var f timerFit
	var period time.Duration
	samples := map[string][]time.Duration{}
	slips := map[int]time.Duration{} // by tick number: due time minus the schedule
	for _, l := range strings.Split(console, "\n") {
		l = strings.TrimSpace(l)
		var kind string
		var i int
		var ns, slip int64
		switch {
		case strings.HasPrefix(l, "ticker period "):
			if _, err := fmt.Sscanf(l, "ticker period %d", &ns); err != nil {
				return f, fmt.Errorf("%q: %v", l, err)
			}
			period = time.Duration(ns)
			continue
		case strings.HasPrefix(l, "late tick "):
			if _, err := fmt.Sscanf(l, "late tick %d %d %d", &i, &ns, &slip); err != nil {
				return f, fmt.Errorf("%q: %v", l, err)
			}
			kind = "tick"
			slips[i] = time.Duration(slip)
		case strings.HasPrefix(l, "late "):
			if _, err := fmt.Sscanf(l, "late %s %d %d", &kind, &i, &ns); err != nil {
				return f, fmt.Errorf("%q: %v", l, err)
			}
		default:
			continue
		}
		if ns < 0 {
			return f, fmt.Errorf("%q: a wakeup %v before its time", l, time.Duration(-ns))
		}
		samples[kind] = append(samples[kind], time.Duration(ns))
	}
	f.Sleep, f.After, f.Tick = summarize(samples["sleep"]), summarize(samples["afterfunc"]), summarize(samples["tick"])
	if f.Sleep.N == 0 || f.After.N == 0 || len(slips) < 4 || period <= 0 {
		return f, fmt.Errorf("%d sleep, %d afterfunc, %d tick samples and period %v: want some of each, at least four ticks",
			f.Sleep.N, f.After.N, len(slips), period)
	}
	f.Earliest = min(f.Sleep.Min, f.After.Min, f.Tick.Min)
	ks := slices.Sorted(maps.Keys(slips))
	lo, hi := ks[0], ks[len(ks)-1]
	f.Dropped = hi - lo + 1 - len(ks)
	q := (hi - lo + 1) / 4
	var first, last []time.Duration
	for _, k := range ks {
		if k < lo+q {
			first = append(first, slips[k])
		} else if k > hi-q {
			last = append(last, slips[k])
		}
	}
	f.SlipFirst, f.SlipLast = slices.Min(first), slices.Min(last)
	between := time.Duration(hi-lo+1-q) * period // from the centre of the first quarter to that of the last
	f.Drift = float64(f.SlipLast-f.SlipFirst) / 1e6 / between.Seconds()
	return f, nil
}

// Bounds on what the guest controls: a ticker that falls behind its
// schedule, or a timer path that wakes nothing on time (its earliest
// wakeup a tick late), fails them; a loaded host does not. A wakeup is
// allowed 20 ms: Go rounds its poll timeout down to whole milliseconds
// and polls again, and under software emulation a wakeup costs a few
// milliseconds more.
const (
	maxTickerDrift = 5.0 // ms per second
	maxTimerLate   = 20 * time.Millisecond
)

// timerProblems says what in f breaks the bounds.
func timerProblems(f timerFit) []string {
	var out []string
	if f.Drift >= maxTickerDrift {
		out = append(out, fmt.Sprintf("the ticker's schedule fell behind by %.3f ms per second (the earliest tick due %v off it in the first quarter, %v in the last), want under %v",
			f.Drift, f.SlipFirst, f.SlipLast, maxTickerDrift))
	}
	if f.Earliest >= maxTimerLate {
		out = append(out, fmt.Sprintf("the earliest of %d wakeups was %v late, want under %v", f.Sleep.N+f.After.N+f.Tick.N, f.Earliest, maxTimerLate))
	}
	return out
}
