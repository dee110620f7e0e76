package mm

import "testing"

func TestFramesAddReserveAlloc(t *testing.T) {
	f := new(Frames)
	if _, ok := f.Alloc(); ok {
		t.Fatal("Alloc from an empty allocator succeeded")
	}
	// Inward alignment: [0x1800, 0x10800) holds the whole frames 0x2000..0xf000.
	f.AddFree(0x1800, 0x10800)
	if got := f.FreeCount(); got != 14 {
		t.Fatalf("FreeCount after AddFree = %d, want 14", got)
	}
	if f.IsFree(0x1000) || !f.IsFree(0x2000) || !f.IsFree(0xf000) || f.IsFree(0x10000) {
		t.Fatal("AddFree did not align inward")
	}
	f.AddFree(0x2000, 0x4000) // already free: not counted twice
	if f.FreeCount() != 14 || f.TotalCount() != 14 {
		t.Fatalf("re-adding counted twice: free %d total %d", f.FreeCount(), f.TotalCount())
	}
	// Outward alignment: [0x2fff, 0x4001) touches frames 0x2000, 0x3000, 0x4000.
	f.Reserve(0x2fff, 0x4001)
	if f.FreeCount() != 11 || f.TotalCount() != 11 {
		t.Fatalf("after Reserve: free %d total %d, want 11 11", f.FreeCount(), f.TotalCount())
	}
	if f.IsFree(0x2000) || f.IsFree(0x4000) || !f.IsFree(0x5000) {
		t.Fatal("Reserve did not align outward")
	}
	f.Reserve(0x2000, 0x3000) // reserving twice changes nothing
	f.Reserve(0x5000, 0x5000) // empty range
	if f.FreeCount() != 11 {
		t.Fatalf("FreeCount = %d after no-op reserves", f.FreeCount())
	}

	seen := map[PAddr]bool{}
	for range 11 {
		p, ok := f.Alloc()
		if !ok {
			t.Fatal("Alloc failed with frames left")
		}
		if seen[p] || p&pageMask != 0 || p < 0x5000 || p >= 0x10000 {
			t.Fatalf("Alloc returned %#x (seen %v)", p, seen[p])
		}
		seen[p] = true
	}
	if p, ok := f.Alloc(); ok {
		t.Fatalf("Alloc on an exhausted pool returned %#x", p)
	}
	if f.FreeCount() != 0 || f.TotalCount() != 11 {
		t.Fatalf("exhausted: free %d total %d", f.FreeCount(), f.TotalCount())
	}
	for p := range seen {
		if !f.Free(p) {
			t.Fatalf("Free(%#x) refused", p)
		}
	}
	if f.FreeCount() != 11 || f.BadFrees() != 0 {
		t.Fatalf("after freeing all: free %d bad %d", f.FreeCount(), f.BadFrees())
	}
}

func TestFramesBadFree(t *testing.T) {
	f := new(Frames)
	f.AddFree(0, 1<<20)
	p, _ := f.Alloc()
	q, _ := f.Alloc()
	for _, tc := range []struct {
		name string
		p    PAddr
	}{
		{"unaligned", q + 8},
		{"beyond MaxPhys", MaxPhys},
		{"never allocated (double free)", q + 0x10000},
	} {
		before := f.BadFrees()
		if f.Free(tc.p) {
			t.Errorf("Free(%#x) [%s] accepted", tc.p, tc.name)
		}
		if f.BadFrees() != before+1 {
			t.Errorf("Free(%#x) [%s] not counted in BadFrees", tc.p, tc.name)
		}
		t.Logf("Free(%#x) refused: %s", tc.p, tc.name)
	}
	if !f.Free(p) {
		t.Fatal("first Free refused")
	}
	if f.Free(p) {
		t.Fatal("double Free accepted")
	}
	if !f.Free(q) {
		t.Fatal("Free(q) refused")
	}
	// Every frame of the pool is free now, so a reserved frame handed back
	// cannot be ours.
	f.Reserve(0x80000, 0x81000)
	if f.Free(0x80000) {
		t.Fatal("Free of a reserved frame accepted while the pool is full")
	}
	if f.BadFrees() != 5 || f.FreeCount() != f.TotalCount() {
		t.Fatalf("bad %d free %d total %d", f.BadFrees(), f.FreeCount(), f.TotalCount())
	}
}

func TestFramesClipAndWrap(t *testing.T) {
	f := new(Frames)
	f.AddFree(MaxPhys-2*PageSize, MaxPhys+1<<30) // clipped at MaxPhys
	f.AddFree(MaxPhys+PageSize, MaxPhys+2*PageSize)
	f.Reserve(MaxPhys, MaxPhys+PageSize)
	if f.FreeCount() != 2 {
		t.Fatalf("FreeCount = %d, want 2 (clipped at MaxPhys)", f.FreeCount())
	}
	if f.IsFree(MaxPhys) {
		t.Fatal("IsFree(MaxPhys)")
	}
	f.AddFree(0x1000, 0x2000)
	// Next fit: allocations move on from the last hit and wrap around.
	a, _ := f.Alloc()
	b, _ := f.Alloc()
	c, _ := f.Alloc()
	if _, ok := f.Alloc(); ok {
		t.Fatal("fourth Alloc succeeded")
	}
	got := map[PAddr]bool{a: true, b: true, c: true}
	if !got[0x1000] || !got[MaxPhys-PageSize] || !got[MaxPhys-2*PageSize] {
		t.Fatalf("allocated %#x %#x %#x", a, b, c)
	}
	f.Free(a)
	if p, _ := f.Alloc(); p != a {
		t.Fatalf("after wrap Alloc = %#x, want %#x", p, a)
	}
	if PAddr(0x5000).PFN() != 5 || PFN(5).PAddr() != 0x5000 {
		t.Fatal("PFN conversions")
	}
}

func TestFramesAllocRun(t *testing.T) {
	f := new(Frames)
	if _, ok := f.AllocRun(2); ok {
		t.Fatal("AllocRun from an empty allocator succeeded")
	}
	// Free: frames 0x10..0x12 (3), 0x40..0x4f (16), and 0x7f..0x84 across a bitmap word.
	f.AddFree(0x10000, 0x13000)
	f.AddFree(0x40000, 0x50000)
	f.AddFree(0x7f000, 0x85000)
	total := f.FreeCount()
	if _, ok := f.AllocRun(0); ok {
		t.Fatal("AllocRun(0) succeeded")
	}
	p, ok := f.AllocRun(6) // the highest run: 0x7f..0x84, across the word boundary at frame 0x80
	if !ok || p != 0x7f000 {
		t.Fatalf("AllocRun(6) = %#x, %v; want 0x7f000", p, ok)
	}
	if f.FreeCount() != total-6 {
		t.Fatalf("FreeCount = %d, want %d", f.FreeCount(), total-6)
	}
	p, ok = f.AllocRun(4) // the 3-frame run is too short: the top of 0x40..0x4f
	if !ok || p != 0x4c000 {
		t.Fatalf("AllocRun(4) = %#x, %v; want 0x4c000", p, ok)
	}
	for a := PAddr(0x4c000); a < 0x50000; a += PageSize {
		if f.IsFree(a) {
			t.Fatalf("frame %#x of the run is still free", a)
		}
	}
	p, ok = f.AllocRun(12) // the rest of the 16
	if !ok || p != 0x40000 {
		t.Fatalf("AllocRun(12) = %#x, %v; want 0x40000", p, ok)
	}
	if _, ok := f.AllocRun(4); ok {
		t.Fatal("AllocRun(4) succeeded with only a 3-frame run left")
	}
	for a := PAddr(0x40000); a < 0x50000; a += PageSize {
		if !f.Free(a) {
			t.Fatalf("Free(%#x) refused", a)
		}
	}
	if f.BadFrees() != 0 {
		t.Fatal("bad frees")
	}
}
