package bench

import (
	"fmt"
	"math"
	"strings"
)

// FormatNum renders a figure with three or so significant digits; "—"
// for NaN.
func FormatNum(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "—"
	case a == 0:
		return "0"
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.1f", v)
	case a >= 10:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.01:
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

// FormatRatio renders goxen/Linux as "1.23×"; "—" for NaN.
func FormatRatio(r float64) string {
	if math.IsNaN(r) {
		return "—"
	}
	if r >= 100 {
		return fmt.Sprintf("%.0f×", r)
	}
	return fmt.Sprintf("%.2f×", r)
}

// Table renders the figures as a Markdown table: for each mode of cols,
// goxen's figure, Linux's and their ratio; the floor guest's (boot
// figures; with PVH only: the floor guest is a PVH guest); which way is
// better; and for each mode its goal and whether goxen meets it. A
// column that is n/a says so in every cell, and why in a line under the
// table.
func Table(figs []Figure, cols Columns) string {
	var b strings.Builder
	floor := false
	head, rule := "| figure | unit |", "|---|---|"
	for _, m := range cols.Modes {
		t := m.Title()
		head += fmt.Sprintf(" goxen %s | Linux %s | goxen/Linux %s |", t, t, t)
		rule += "---:|---:|---:|"
		floor = floor || m == PVH
	}
	if floor {
		head += " floor |"
		rule += "---:|"
	}
	head += " better |"
	rule += "---|"
	for _, m := range cols.Modes {
		head += " goal " + m.Title() + " | met " + m.Title() + " |"
		rule += "---|---|"
	}
	b.WriteString(head + "\n" + rule + "\n")
	for _, f := range figs {
		row := fmt.Sprintf("| %s | %s |", strings.TrimSpace(f.Title), f.Unit)
		for _, m := range cols.Modes {
			gx, lx := cols.cell(Goxen, m), cols.cell(Linux, m)
			p := f.In(m)
			if gx == "" {
				gx = FormatNum(p.Goxen)
			}
			if lx == "" {
				lx = FormatNum(p.Linux)
			}
			ratio := cols.cell(Goxen, m) + cols.cell(Linux, m)
			if ratio == "" {
				ratio = FormatRatio(p.Ratio())
			} else {
				ratio = "n/a"
			}
			row += fmt.Sprintf(" %s | %s | %s |", gx, lx, ratio)
		}
		if floor {
			row += " " + FormatNum(f.Floor) + " |"
		}
		better := "higher"
		if f.Lower {
			better = "lower"
		}
		row += " " + better + " |"
		for _, m := range cols.Modes {
			row += fmt.Sprintf(" %s | %s |", f.In(m).Goal, cols.met(f, m))
		}
		b.WriteString(row + "\n")
	}
	for _, m := range cols.Modes {
		for _, k := range []Kernel{Goxen, Linux} {
			c := Column{k, m}
			if why := cols.NA[c]; why != "" {
				fmt.Fprintf(&b, "\n%s: n/a (%s)\n", c, why)
			}
		}
	}
	return b.String()
}

// cell is "n/a" for a column without figures, else "".
func (cols Columns) cell(k Kernel, m Mode) string {
	if cols.NA[Column{k, m}] != "" {
		return "n/a"
	}
	return ""
}

// met is the goal's verdict in mode m: n/a when goxen's column is (a
// goxen figure against a missing Linux one has no verdict either).
func (cols Columns) met(f Figure, m Mode) string {
	p := f.In(m)
	switch {
	case p.Goal == "":
		return ""
	case cols.NA[Column{Goxen, m}] != "":
		return "n/a"
	case p.Met != nil && *p.Met:
		return "yes"
	case p.Met != nil:
		return "**no**"
	}
	return "not measured"
}

// HowTable says how each figure was measured.
func HowTable(figs []Figure) string {
	var b strings.Builder
	b.WriteString("| figure | key | how |\n|---|---|---|\n")
	for _, f := range figs {
		fmt.Fprintf(&b, "| %s | `%s` | %s |\n", strings.TrimSpace(f.Title), f.Key, f.How)
	}
	return b.String()
}

// Spread is a table of every guest of the session: how it ended and its
// times, so the spread behind each median shows.
func Spread(s *Session) string {
	var b strings.Builder
	b.WriteString("| step | # | memory | outcome | ok | create | first byte | program | shut down | cpu |\n")
	b.WriteString("|---|---:|---:|---|---|---:|---:|---:|---:|---:|\n")
	for _, r := range s.Runs {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Label, r.Index,
			r.Fields["memory"], r.Fields["outcome"], r.Fields["ok"], FormatNum(r.Num("create_ms")),
			FormatNum(r.Num("first_ms")), FormatNum(r.Num("program_ms")), FormatNum(r.Num("gone_ms")),
			FormatNum(r.Num("cpu_ms")))
	}
	return b.String()
}
