package mm

import "testing"

func TestPageTableMapUnmapLookup(t *testing.T) {
	e := newEnv(t, 1<<20, testLo, testHi)
	pt := &e.sp.PT
	va := VAddr(0x7f12_3456_7000)
	free := e.fr.FreeCount()
	if r := pt.Map(va, 0x3000, PTEWrite|PTENoExec); r != 0 {
		t.Fatalf("Map = %s", ErrnoName(r))
	}
	// A new 512 GiB slot: PDPT, PD and PT were created.
	if got := free - e.fr.FreeCount(); got != 3 {
		t.Fatalf("first Map used %d frames, want 3", got)
	}
	pte, ok := pt.Lookup(va + 0x123)
	if !ok || pte != 0x3000|PTEPresent|PTEWrite|PTENoExec {
		t.Fatalf("Lookup = %#x %v", pte, ok)
	}
	// Same 2 MiB: no new table. Same 1 GiB, next 2 MiB: one new PT.
	free = e.fr.FreeCount()
	if r := pt.Map(va+PageSize, 0x4000, 0); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	if e.fr.FreeCount() != free {
		t.Fatal("second Map in the same 2 MiB allocated a table")
	}
	if r := pt.Map(va+2<<20, 0x5000, 0); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	if free-e.fr.FreeCount() != 1 {
		t.Fatalf("Map in the next 2 MiB used %d frames, want 1", free-e.fr.FreeCount())
	}
	if r := pt.Map(va, 0x6000, 0); r != EEXIST {
		t.Fatalf("Map over a mapping = %s, want EEXIST", ErrnoName(r))
	}
	if pte, _ := pt.Lookup(va); pte&PTEAddrMask != 0x3000 {
		t.Fatal("refused Map changed the entry")
	}
	inv, fl := e.phys.invl, e.phys.flush
	pa, ok := pt.Unmap(va)
	if !ok || pa != 0x3000 || e.phys.invl != inv+1 || e.phys.flush != fl+1 {
		t.Fatalf("Unmap = %#x %v, invlpg %d, flush %d", pa, ok, e.phys.invl-inv, e.phys.flush-fl)
	}
	if _, ok := pt.Lookup(va); ok {
		t.Fatal("Lookup after Unmap")
	}
	if _, ok := pt.Unmap(va); ok {
		t.Fatal("second Unmap succeeded")
	}
	if _, ok := pt.Unmap(0x5000_0000_0000); ok {
		t.Fatal("Unmap with no tables succeeded")
	}
	if pte, ok := pt.Lookup(0x5000_0000_0000); ok || pte != 0 {
		t.Fatal("Lookup with no tables")
	}
	// Upper-half (kernel) addresses work too.
	if r := pt.Map(0xffff_8000_0000_0000, 0x7000, 0); r != 0 {
		t.Fatal(ErrnoName(r))
	}
	if _, ok := pt.Lookup(0xffff_8000_0000_0000); !ok {
		t.Fatal("upper half Lookup")
	}
}

func TestPageTableMapErrors(t *testing.T) {
	e := newEnv(t, 1<<20, testLo, testHi)
	pt := &e.sp.PT
	for _, tc := range []struct {
		name string
		va   VAddr
		pa   PAddr
		want int
	}{
		{"unaligned va", 0x1000_0000_0010, 0x3000, EINVAL},
		{"unaligned pa", 0x1000_0000_0000, 0x3001, EINVAL},
		{"pa beyond 52 bits", 0x1000_0000_0000, 1 << 52, EINVAL},
		{"non-canonical va", 0x0000_8000_0000_0000, 0x3000, EINVAL},
		{"inside a 2 MiB identity page", 0x20_0000, 0x3000, EBUSY},
		{"inside a 2 MiB identity page, not at its start", 0x3f_f000, 0x3000, EBUSY},
	} {
		if r := pt.Map(tc.va, tc.pa, PTEWrite); r != tc.want {
			t.Errorf("Map(%#x, %#x) [%s] = %s, want %s", tc.va, tc.pa, tc.name, ErrnoName(r), ErrnoName(tc.want))
		} else {
			t.Logf("Map(%#x, %#x) [%s]: %s", tc.va, tc.pa, tc.name, ErrnoName(r))
		}
	}
	// The identity mapping survived.
	pte, ok := pt.Lookup(0x20_1234)
	if !ok || pte != 0x20_0000|PTEPresent|PTEWrite|PTEHuge {
		t.Fatalf("Lookup in the identity map = %#x %v", pte, ok)
	}
	if _, ok := pt.Unmap(0x20_0000); ok {
		t.Fatal("Unmap removed a 2 MiB identity page")
	}
	if pte, _ := pt.Lookup(0x20_0000); pte&PTEHuge == 0 {
		t.Fatal("identity page gone")
	}

	// A 1 GiB page at the PDPT level, and a foreign non-present entry.
	pdpt := e.phys.Table(PAddr(e.phys.Table(pt.Root)[0] & PTEAddrMask))
	pdpt[1] = 1<<30 | PTEPresent | PTEWrite | PTEHuge
	pdpt[2] = 0x1234_5000 // not present, not ours
	if r := pt.Map(1<<30+0x5000, 0x3000, 0); r != EBUSY {
		t.Fatalf("Map inside a 1 GiB page = %s, want EBUSY", ErrnoName(r))
	}
	if r := pt.Map(2<<30, 0x3000, 0); r != EBUSY {
		t.Fatalf("Map under a foreign non-present entry = %s, want EBUSY", ErrnoName(r))
	}
	if pdpt[1] != 1<<30|PTEPresent|PTEWrite|PTEHuge || pdpt[2] != 0x1234_5000 {
		t.Fatal("refused Map changed the PDPT")
	}

	// Out of frames for the intermediate tables.
	for {
		if _, ok := e.fr.Alloc(); !ok {
			break
		}
	}
	if r := pt.Map(0x6000_0000_0000, 0x3000, 0); r != ENOMEM {
		t.Fatalf("Map with no frames = %s, want ENOMEM", ErrnoName(r))
	}
	if _, ok := pt.Lookup(0x6000_0000_0000); ok {
		t.Fatal("failed Map left a mapping")
	}
}
