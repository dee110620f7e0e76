package bench

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// The records bench/dom0 prints, one a line (the box passes them on as
// the dom0 script's output, Result.Script):
//
//	RUN label i key=value ...        one guest: how it ended and when (ms from its unpause)
//	FIG label i name value unit      a BENCH line the guest printed
//	LOG label i ms text              a console line of the guest, ms after its unpause
//	BISECT label memory ok|fail why  one step of a memory bisection
//	MIN label memory                 its result ("-" if even Hi failed)
//	NOTE text                        anything else worth keeping
//
// RUN keys: memory (MiB), outcome (poweroff, crash, reboot, timeout,
// create-failed, ...), ok (true: powered off having printed Want),
// create_ms (xl create), first_ms (first console byte), program_ms (the
// program's first line), gone_ms (the domain shut down), cpu_ms (its CPU
// time then), idle_cpu_ms and idle_wall_ms (between IDLE-START and
// IDLE-DONE). "-" is a value not measured.

// BenchLine is the guests' figure line: "BENCH name value unit".
const BenchLine = "BENCH "

// ParseBenchLine reads a guest's "BENCH name value unit" line.
func ParseBenchLine(line string) (name string, value float64, unit string, ok bool) {
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, BenchLine) {
		return "", 0, "", false
	}
	f := strings.Fields(line[len(BenchLine):])
	if len(f) != 3 {
		return "", 0, "", false
	}
	v, err := strconv.ParseFloat(f[1], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return "", 0, "", false
	}
	return f[0], v, f[2], true
}

// Fig is one figure a guest printed.
type Fig struct {
	Value float64
	Unit  string
}

// LogLine is a forwarded console line and its time from the unpause.
type LogLine struct {
	MS   float64
	Text string
}

// Run is one guest of the session.
type Run struct {
	Label  string
	Index  int
	Fields map[string]string
	Figs   map[string]Fig
	Logs   []LogLine
}

// Num is a RUN field as a number, NaN when missing or "-".
func (r *Run) Num(key string) float64 {
	v, err := strconv.ParseFloat(r.Fields[key], 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// OK says the guest powered off having printed what it should.
func (r *Run) OK() bool { return r.Fields["ok"] == "true" }

// BisectStep is one boot of a bisection.
type BisectStep struct {
	Memory int
	OK     bool
	Why    string
}

// Session is everything bench/dom0 reported.
type Session struct {
	Runs    []*Run
	Bisects map[string][]BisectStep
	Min     map[string]int // the smallest memory that worked; -1: none did
	Notes   []string
}

// RunsOf are the guests of one step, in order.
func (s *Session) RunsOf(label string) []*Run {
	var rs []*Run
	for _, r := range s.Runs {
		if r.Label == label {
			rs = append(rs, r)
		}
	}
	return rs
}

func (s *Session) run(label string, i int) *Run {
	for _, r := range s.Runs {
		if r.Label == label && r.Index == i {
			return r
		}
	}
	r := &Run{Label: label, Index: i, Fields: map[string]string{}, Figs: map[string]Fig{}}
	s.Runs = append(s.Runs, r)
	return r
}

// ParseRecords reads bench/dom0's output. Lines that are not records (the
// script's "exit 0", blank lines) are skipped; a record that does not
// parse is an error naming its line.
func ParseRecords(text string) (*Session, error) {
	s := &Session{Bisects: map[string][]BisectStep{}, Min: map[string]int{}}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		bad := func(why string) error {
			return fmt.Errorf("bench: record line %d %q: %s", n+1, line, why)
		}
		idx := func() (int, error) {
			if len(f) < 3 {
				return 0, bad("too short")
			}
			i, err := strconv.Atoi(f[2])
			if err != nil || i < 0 {
				return 0, bad("bad index")
			}
			return i, nil
		}
		switch f[0] {
		case "RUN":
			i, err := idx()
			if err != nil {
				return nil, err
			}
			r := s.run(f[1], i)
			for _, kv := range f[3:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return nil, bad("field " + kv)
				}
				r.Fields[k] = v
			}
		case "FIG":
			i, err := idx()
			if err != nil {
				return nil, err
			}
			if len(f) != 6 {
				return nil, bad("want FIG label i name value unit")
			}
			v, err := strconv.ParseFloat(f[4], 64)
			if err != nil {
				return nil, bad("value")
			}
			s.run(f[1], i).Figs[f[3]] = Fig{v, f[5]}
		case "LOG":
			i, err := idx()
			if err != nil {
				return nil, err
			}
			if len(f) < 4 {
				return nil, bad("want LOG label i ms text")
			}
			ms, err := strconv.ParseFloat(f[3], 64)
			if err != nil {
				return nil, bad("ms")
			}
			// The text is the rest of the line after the fourth field.
			text := line
			for k := 0; k < 4; k++ {
				text = strings.TrimLeft(text, " ")
				if j := strings.IndexByte(text, ' '); j >= 0 {
					text = text[j+1:]
				} else {
					text = ""
				}
			}
			r := s.run(f[1], i)
			r.Logs = append(r.Logs, LogLine{ms, text})
		case "BISECT":
			if len(f) < 4 {
				return nil, bad("want BISECT label memory ok|fail why")
			}
			m, err := strconv.Atoi(f[2])
			if err != nil || (f[3] != "ok" && f[3] != "fail") {
				return nil, bad("memory or verdict")
			}
			s.Bisects[f[1]] = append(s.Bisects[f[1]], BisectStep{m, f[3] == "ok", strings.Join(f[4:], " ")})
		case "MIN":
			if len(f) != 3 {
				return nil, bad("want MIN label memory")
			}
			if f[2] == "-" {
				s.Min[f[1]] = -1
				continue
			}
			m, err := strconv.Atoi(f[2])
			if err != nil {
				return nil, bad("memory")
			}
			s.Min[f[1]] = m
		case "NOTE":
			s.Notes = append(s.Notes, strings.TrimSpace(strings.TrimPrefix(line, "NOTE")))
		}
	}
	return s, nil
}

// Median of the runs' field key, over the runs that succeeded and have
// it; NaN if none.
func Median(rs []*Run, key string) float64 {
	var v []float64
	for _, r := range rs {
		if x := r.Num(key); r.OK() && !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	return median(v)
}

// FigMedian is the median of a guest figure over the runs that have it.
func FigMedian(rs []*Run, name string) float64 {
	var v []float64
	for _, r := range rs {
		if f, ok := r.Figs[name]; ok {
			v = append(v, f.Value)
		}
	}
	return median(v)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// FormatMS renders a duration in ms for a RUN field: "-" when negative.
func FormatMS(ms float64) string {
	if ms < 0 || math.IsNaN(ms) {
		return "-"
	}
	return strconv.FormatFloat(ms, 'f', 3, 64)
}
