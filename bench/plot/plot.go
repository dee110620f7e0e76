// Package plot draws the ratios of `make bench` (goxen's figure over
// Linux's, package bench) as a PNG, with gonum.org/v1/plot: one row per
// figure, a stem from 1× (parity) to the ratio on a log axis, green where
// goxen does better than Linux, red where it does worse.
package plot

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/goxen/goxen/bench"
)

var (
	better = color.RGBA{R: 0x1b, G: 0x9e, B: 0x3e, A: 0xff}
	worse  = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	grey   = color.RGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}
)

// Ratios writes the PNG of mode m's ratios to path (the extension picks
// the format: .png, .svg, .pdf). Figures without a ratio in that mode are
// left out; none at all is an error.
func Ratios(figs []bench.Figure, m bench.Mode, title, path string) error {
	var rows []bench.Figure
	for _, f := range figs {
		if r := f.Ratio(m); !math.IsNaN(r) && r > 0 {
			rows = append(rows, f)
		}
	}
	if len(rows) == 0 {
		return fmt.Errorf("plot: no figure has both a goxen and a Linux value as %s", m.Title())
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "goxen / Linux (log scale; 1× = parity; green: goxen better, red: worse)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	lo, hi := 1.0, 1.0
	// The first figure at the top: rows are drawn bottom-up.
	n := len(rows)
	names := make([]string, n)
	var labels plotter.XYLabels
	for i, f := range rows {
		y := float64(n - 1 - i)
		names[n-1-i] = fmt.Sprintf("%s (%s)", f.Title, f.Unit)
		r := f.Ratio(m)
		lo, hi = math.Min(lo, r), math.Max(hi, r)
		c := worse
		switch {
		case r == 1:
			c = grey
		case f.GoxenBetter(m):
			c = better
		}
		stem, err := plotter.NewLine(plotter.XYs{{X: 1, Y: y}, {X: r, Y: y}})
		if err != nil {
			return err
		}
		stem.Color, stem.Width = c, vg.Points(3)
		dot, err := plotter.NewScatter(plotter.XYs{{X: r, Y: y}})
		if err != nil {
			return err
		}
		dot.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
		p.Add(stem, dot)
		labels.XYs = append(labels.XYs, plotter.XY{X: r, Y: y})
		if r < 1 { // the label beyond the dot, away from the stem
			labels.Labels = append(labels.Labels, bench.FormatRatio(r)+"   ")
		} else {
			labels.Labels = append(labels.Labels, "   "+bench.FormatRatio(r))
		}
	}
	// Room on both sides of the extremes, and 1× always in view.
	p.X.Min, p.X.Max = lo/1.6, hi*2.5
	parity, err := plotter.NewLine(plotter.XYs{{X: 1, Y: -0.5}, {X: 1, Y: float64(n) - 0.5}})
	if err != nil {
		return err
	}
	parity.Color, parity.Dashes = grey, []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(parity)
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].YAlign = -0.5 // centred on the row
		if labels.XYs[i].X < 1 {
			l.TextStyle[i].XAlign = -1 // ending at the dot
		}
	}
	p.Add(l)
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.7, float64(n)-0.3
	return p.Save(9*vg.Inch, vg.Length(n)*0.32*vg.Inch+1.3*vg.Inch, path)
}
