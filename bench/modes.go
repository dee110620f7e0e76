package bench

import (
	"fmt"
	"strings"
)

// Mode is a guest type both kernels run as: each mode is a pair of
// columns of the results table, goxen's and Linux's, and their ratio.
type Mode string

const (
	PVH Mode = "pvh" // hardware containment, the default (xl.cfg type = "pvh")
	PV  Mode = "pv"  // classic PV (type = "pv")
)

// AllModes are the modes in the table's order.
var AllModes = []Mode{PVH, PV}

// Title is the mode as the table names it: "PVH", "PV".
func (m Mode) Title() string { return strings.ToUpper(string(m)) }

// ParseModes reads xenbench's -modes flag: a comma list of pvh and pv,
// or all (and "" is all). The result is in the table's order, each mode
// once.
func ParseModes(s string) ([]Mode, error) {
	if strings.TrimSpace(s) == "" || strings.TrimSpace(s) == "all" {
		return AllModes, nil
	}
	want := map[Mode]bool{}
	for _, f := range strings.Split(s, ",") {
		m := Mode(strings.ToLower(strings.TrimSpace(f)))
		if m != PVH && m != PV {
			return nil, fmt.Errorf("bench: mode %q in %q: want pvh, pv or all", f, s)
		}
		want[m] = true
	}
	var ms []Mode
	for _, m := range AllModes {
		if want[m] {
			ms = append(ms, m)
		}
	}
	return ms, nil
}

// ModeLabel is the label of a plan step in a mode: the PVH steps keep
// the plain labels (so records of older sessions still read), the PV
// steps end in "-pv".
func ModeLabel(label string, m Mode) string {
	if m == PVH {
		return label
	}
	return label + "-" + string(m)
}

// Kernel names a kernel of the table: goxen or Linux.
type Kernel string

const (
	Goxen Kernel = "goxen"
	Linux Kernel = "Linux"
)

// Column is one kernel in one mode: "goxen PV".
type Column struct {
	Kernel Kernel
	Mode   Mode
}

func (c Column) String() string { return string(c.Kernel) + " " + c.Mode.Title() }

// columnLabels are the run steps whose guests make a column's figures,
// in the plan's order: the first failure is the one that says why.
func columnLabels(c Column) []string {
	ls := []string{LabelHello, LabelBenchGoxen, LabelIdleGoxen}
	if c.Kernel == Linux {
		ls = []string{LabelPeer, LabelBenchLinux, LabelIdleLinux}
	}
	for i := range ls {
		ls[i] = ModeLabel(ls[i], c.Mode)
	}
	return ls
}

// Columns are the table's modes, and for each column without figures,
// why ("" or absent: it has them).
type Columns struct {
	Modes []Mode
	NA    map[Column]string
}

// ColumnsOf judges each column of the modes from the session: a column
// none of whose guests succeeded is n/a, with the line that says why.
// A column that fails this way costs the rest of the table nothing, and
// fills in by itself once its kernel boots in that mode.
func ColumnsOf(s *Session, modes []Mode) Columns {
	cols := Columns{Modes: modes, NA: map[Column]string{}}
	for _, m := range modes {
		for _, k := range []Kernel{Goxen, Linux} {
			c := Column{k, m}
			var rs []*Run
			for _, l := range columnLabels(c) {
				rs = append(rs, s.RunsOf(l)...)
			}
			switch {
			case len(rs) == 0:
				cols.NA[c] = "not run in this session"
			case !anyOK(rs):
				cols.NA[c] = "does not boot as " + m.Title() + ": " + FailureLine(rs)
			}
		}
	}
	return cols
}

func anyOK(rs []*Run) bool {
	for _, r := range rs {
		if r.OK() {
			return true
		}
	}
	return false
}

// fatalMarks are console lines that say why a kernel stopped: goxen's
// fatal line, Linux's panic.
var fatalMarks = []string{"goxen: fatal:", "Kernel panic"}

// FailureLine says in one line why the first failed guest of rs failed:
// its kernel's fatal line if it printed one, else its outcome and its
// last console line.
func FailureLine(rs []*Run) string {
	for _, r := range rs {
		if r.OK() {
			continue
		}
		last := ""
		for _, l := range r.Logs {
			for _, mark := range fatalMarks {
				if strings.Contains(l.Text, mark) {
					return strings.TrimSpace(l.Text)
				}
			}
			if !strings.HasPrefix(l.Text, "... (") {
				last = strings.TrimSpace(l.Text)
			}
		}
		outcome := r.Fields["outcome"]
		if outcome == "" {
			outcome = "no outcome"
		}
		if last == "" {
			return outcome + ", no console output"
		}
		return outcome + ", last console line: " + last
	}
	return "no guest failed"
}

// ProgressLine turns a line of the dom0 runner's output, as it arrives,
// into a progress line for the long box session ("" for lines that are
// not worth one).
func ProgressLine(record string) string {
	f := strings.Fields(record)
	switch {
	case len(f) == 3 && f[0] == "STEP":
		return "step " + f[1] + ": " + f[2]
	case len(f) >= 4 && f[0] == "RUN":
		r := &Run{Fields: map[string]string{}}
		for _, kv := range f[3:] {
			if k, v, ok := strings.Cut(kv, "="); ok {
				r.Fields[k] = v
			}
		}
		line := fmt.Sprintf("%s #%s: %s, ok=%s", f[1], f[2], r.Fields["outcome"], r.Fields["ok"])
		if g := r.Fields["gone_ms"]; g != "" && g != "-" {
			line += ", shut down " + g + " ms after the unpause"
		}
		return line
	case len(f) >= 2 && f[0] == "NOTE" && (f[1] == "step" || f[1] == "plan"):
		return strings.Join(f[1:], " ")
	}
	return ""
}
