package pv

import (
	"testing"

	"github.com/goxen/goxen/hypercall"
)

// A 44 MiB domU whose bootstrap region (a 35 MiB TamaGo image, the P2M,
// start info, rings, tables, stack, padding) ends at 40 MiB.
func TestPlanDomU(t *testing.T) {
	mappedEnd, nr, free := PFN(40<<20>>12), PFN(44<<20>>12), PFN(0x2380)
	p, err := PlanMapping(mappedEnd, nr, free)
	if !err.OK() {
		t.Fatal(err.Error())
	}
	if p.From != mappedEnd || p.To != nr || p.NTables != 2 || p.Tables != free || p.Capped {
		t.Errorf("plan %+v: want [40 MiB, 44 MiB) in 2 tables from %#x", p, free)
	}
	if tb, first := p.Table(1); tb != free+1 || first != mappedEnd+512 {
		t.Errorf("Table(1) = %#x, %#x", tb, first)
	}
}

// A partial last table, RAM past 1 GiB, and a padding too small for all
// the tables.
func TestPlanEdges(t *testing.T) {
	p, err := PlanMapping(1024, 1024+513, 1000)
	if !err.OK() || p.NTables != 2 || p.To != 1024+513 || p.Capped {
		t.Errorf("partial table: %+v %v", p, err)
	}
	p, err = PlanMapping(1024, 4<<30>>12, 1000)
	if !err.OK() || !p.Capped || p.NTables != 24 || p.To != 1024+24*512 {
		t.Errorf("padding of 24 frames: %+v %v", p, err)
	}
	p, err = PlanMapping(1024, 2<<30>>12, 0)
	if !err.OK() || !p.Capped || p.To != MaxMapped || p.NTables != int(MaxMapped-1024)/512 {
		t.Errorf("2 GiB: %+v %v", p, err)
	}
	// Everything already mapped.
	p, err = PlanMapping(1024, 1000, 900)
	if !err.OK() || p.NTables != 0 || p.To != 1024 || p.Capped {
		t.Errorf("all mapped: %+v %v", p, err)
	}
	for _, c := range []struct {
		end, free PFN
		want      string
	}{
		{1000, 900, "the bootstrap mapping ends at frame 0x3e8, not on a 2 MiB boundary"},
		{1024, 1025, "no padding: free frames start at 0x401, the bootstrap mapping ends at 0x400"},
	} {
		_, err := PlanMapping(c.end, 4096, c.free)
		if err.OK() || err.Error() != c.want {
			t.Errorf("PlanMapping(%#x, _, %#x) error %q, want %q", c.end, c.free, err.Error(), c.want)
		}
	}
}

// The tables map what the P2M says, and the requests make each table
// read-only before hooking it into the L2, in one batch.
func TestPlanTablesAndRequests(t *testing.T) {
	const nr = 2048
	p2m := make(P2M, nr)
	for i := range p2m {
		p2m[i] = MFN(0x80000 + 3*i) // scattered machine frames
	}
	p, err := PlanMapping(1024, nr-100, 1000)
	if !err.OK() || p.NTables != 2 {
		t.Fatalf("%+v %v", p, err)
	}
	var tab [ptesPerTable]uint64
	for i := range tab {
		tab[i] = 0xdead
	}
	if !p.FillTable(&tab, 1, p2m) {
		t.Fatal("FillTable")
	}
	if want := p2m[1536].MA(0) | leafFlags; tab[0] != want {
		t.Errorf("table 1 entry 0 = %#x, want %#x", tab[0], want)
	}
	if tab[ptesPerTable-101] == 0 || tab[ptesPerTable-100] != 0 || tab[ptesPerTable-1] != 0 {
		t.Error("entries past nr_pages must be cleared, the others set")
	}
	bootL1 := func(f PFN) (MFN, bool) { return MFN(0x9000 + f/512), true }
	var buf [8]hypercall.MMUUpdate
	reqs, ok := p.Requests(buf[:0], 0, p.NTables, p2m, bootL1, 0x7777)
	if !ok || len(reqs) != 4 {
		t.Fatalf("Requests: %v, %d", ok, len(reqs))
	}
	want := []hypercall.MMUUpdate{
		{Ptr: 0x9001<<12 | (1000%512)*8, Val: p2m[1000].MA(0) | roFlags},
		{Ptr: 0x7777<<12 | 2*8, Val: p2m[1000].MA(0) | tableFlags},
		{Ptr: 0x9001<<12 | (1001%512)*8, Val: p2m[1001].MA(0) | roFlags},
		{Ptr: 0x7777<<12 | 3*8, Val: p2m[1001].MA(0) | tableFlags},
	}
	for i := range want {
		if reqs[i] != want[i] {
			t.Errorf("request %d = %#x, want %#x", i, reqs[i], want[i])
		}
	}
	if roFlags&hypercall.PTE_RW != 0 || leafFlags&(1<<7) != 0 || tableFlags&(1<<7) != 0 {
		t.Error("table mappings must be read-only, and nothing may set PSE (bit 7)")
	}
	if r, ok := p.Requests(buf[:0], 1, 5, p2m, bootL1, 0x7777); !ok || len(r) != 2 || r[0] != want[2] {
		t.Errorf("Requests(1, 5) = %#x, %v: want table 1's two", r, ok)
	}
	if _, ok := p.Requests(buf[:0:3], 0, 2, p2m, bootL1, 0x7777); ok {
		t.Error("Requests fitted 4 requests into 3")
	}
	if n := testing.AllocsPerRun(5, func() { p.Requests(buf[:0], 0, 2, p2m, bootL1, 1) }); n != 0 {
		t.Errorf("Requests allocates %v times", n)
	}
}
