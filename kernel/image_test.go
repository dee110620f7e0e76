package kernel

import (
	"slices"
	"testing"

	"github.com/goxen/goxen/pvh"
)

// zeroBSS clears a segment's .bss minus pvh's early regions (the page
// tables and the stack it runs on): bssParts must leave exactly the bytes
// of r that no hole covers, in address order, whatever the holes' order,
// overlap or position.
func TestBSSParts(t *testing.T) {
	type R = [2]uintptr // [start, end)
	r := R{0x1000, 0x9000}
	for _, c := range []struct {
		name  string
		holes []R
		want  []R
	}{
		{"none", nil, []R{{0x1000, 0x9000}}},
		{"empty holes", []R{{0x2000, 0x2000}, {0x5000, 0x4000}}, []R{{0x1000, 0x9000}}},
		{"outside", []R{{0x0, 0x1000}, {0x9000, 0xa000}}, []R{{0x1000, 0x9000}}},
		{"at start", []R{{0x1000, 0x2000}}, []R{{0x2000, 0x9000}}},
		{"straddles start", []R{{0x800, 0x2000}}, []R{{0x2000, 0x9000}}},
		{"at end", []R{{0x8000, 0x9000}}, []R{{0x1000, 0x8000}}},
		{"straddles end", []R{{0x8000, 0xa000}}, []R{{0x1000, 0x8000}}},
		{"middle", []R{{0x3000, 0x4000}}, []R{{0x1000, 0x3000}, {0x4000, 0x9000}}},
		{"two, out of order", []R{{0x6000, 0x7000}, {0x3000, 0x4000}},
			[]R{{0x1000, 0x3000}, {0x4000, 0x6000}, {0x7000, 0x9000}}},
		{"adjacent", []R{{0x3000, 0x4000}, {0x4000, 0x5000}}, []R{{0x1000, 0x3000}, {0x5000, 0x9000}}},
		{"overlapping", []R{{0x3000, 0x5000}, {0x4000, 0x6000}}, []R{{0x1000, 0x3000}, {0x6000, 0x9000}}},
		{"nested", []R{{0x3000, 0x6000}, {0x4000, 0x5000}}, []R{{0x1000, 0x3000}, {0x6000, 0x9000}}},
		{"start and end", []R{{0x8000, 0x9000}, {0x1000, 0x2000}}, []R{{0x2000, 0x8000}}},
		{"all", []R{{0x1000, 0x9000}}, nil},
		{"more than all", []R{{0x0, 0x10000}}, nil},
		{"all, in two", []R{{0x5000, 0x9000}, {0x1000, 0x5000}}, nil},
		// pvh's real pair: the stack right behind the tables.
		{"tables then stack", []R{{0x2000, 0xa000}, {0x1800, 0x2000}}, []R{{0x1000, 0x1800}}},
	} {
		region := func(r R) pvh.Region { return pvh.Region{Start: r[0], End: r[1]} }
		var holes []pvh.Region
		for _, h := range c.holes {
			holes = append(holes, region(h))
		}
		out := make([]pvh.Region, len(holes)+1)
		n := bssParts(region(r), holes, out)
		var got []R
		for _, p := range out[:n] {
			got = append(got, R{p.Start, p.End})
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: bssParts(%#x, %#x) = %#x, want %#x", c.name, r, c.holes, got, c.want)
		}
	}
	// An empty range has nothing to clear.
	if n := bssParts(pvh.Region{Start: 0x5000, End: 0x5000}, nil, make([]pvh.Region, 1)); n != 0 {
		t.Errorf("empty range: %d parts", n)
	}
}
