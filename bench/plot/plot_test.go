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
		{Key: "a", Title: "Kernel ELF of hello", Unit: "MB", Goxen: 3.2, Linux: 1.6, Lower: true},
		{Key: "b", Title: "getpid", Unit: "ns/op", Goxen: 300, Linux: 600, Lower: true},
		{Key: "c", Title: "Console", Unit: "MiB/s", Goxen: 2, Linux: 1},
		{Key: "d", Title: "parity", Unit: "ms", Goxen: 5, Linux: 5, Lower: true},
		{Key: "e", Title: "not measured", Unit: "ms", Goxen: nan, Linux: 5, Lower: true},
	}
	p := filepath.Join(t.TempDir(), "ratios.png")
	if err := Ratios(figs, "test", p); err != nil {
		t.Fatal(err)
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
	if err := Ratios(figs[4:], "none", filepath.Join(t.TempDir(), "x.png")); err == nil {
		t.Error("no ratio to draw: no error")
	}
}
