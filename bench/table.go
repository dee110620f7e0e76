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

// Table renders the figures as a Markdown table: each figure for goxen,
// for Linux, their ratio, the floor guest's (boot figures), which way is
// better, and the goal with whether goxen meets it.
func Table(figs []Figure) string {
	var b strings.Builder
	b.WriteString("| figure | unit | goxen | Linux | goxen/Linux | floor | better | goal | met |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---|---|---|\n")
	for _, f := range figs {
		better := "higher"
		if f.Lower {
			better = "lower"
		}
		met := ""
		if f.Met != nil {
			met = "yes"
			if !*f.Met {
				met = "**no**"
			}
		} else if f.Goal != "" {
			met = "not measured"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			strings.TrimSpace(f.Title), f.Unit, FormatNum(f.Goxen), FormatNum(f.Linux),
			FormatRatio(f.Ratio()), FormatNum(f.Floor), better, f.Goal, met)
	}
	return b.String()
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
