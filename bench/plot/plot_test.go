package plot

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/goxen/goxen/bench"
)

func TestRatios(t *testing.T) {
	nan := math.NaN()
	figs := []bench.Figure{
		{Key: "a", Title: "Kernel ELF of hello", Unit: "MB", PVH: bench.Pair{Goxen: 3.2, Linux: 1.6}, Lower: true},
		{Key: "b", Title: "getpid", Unit: "ns/op", PVH: bench.Pair{Goxen: 300, Linux: 600}, PV: bench.Pair{Goxen: 500, Linux: 400}, Lower: true},
		{Key: "c", Title: "Console", Unit: "MiB/s", PVH: bench.Pair{Goxen: 2, Linux: 1}, PV: bench.Pair{Goxen: nan, Linux: 1}},
		{Key: "d", Title: "parity", Unit: "ms", PVH: bench.Pair{Goxen: 5, Linux: 5}, Lower: true},
		{Key: "e", Title: "not measured", Unit: "ms", PVH: bench.Pair{Goxen: nan, Linux: 5}, PV: bench.Pair{Goxen: nan, Linux: 5}, Lower: true},
	}
	p := filepath.Join(t.TempDir(), "ratios.png")
	if err := Ratios(figs, bench.PVH, "test", p); err != nil {
		t.Fatal(err)
	}
	// Each mode's ratios: PV has one (getpid), from its own pair.
	if err := Ratios(figs, bench.PV, "test", filepath.Join(t.TempDir(), "pv.png")); err != nil {
		t.Errorf("PV: %v", err)
	}
	if err := Ratios(figs[2:], bench.PV, "none", filepath.Join(t.TempDir(), "x.png")); err == nil {
		t.Error("no PV ratio to draw: no error")
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 150 {
		t.Errorf("image %v", b)
	}
	if err := Ratios(figs[4:], bench.PVH, "none", filepath.Join(t.TempDir(), "x.png")); err == nil {
		t.Error("no ratio to draw: no error")
	}
}
