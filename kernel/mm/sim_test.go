package mm

import "testing"

// simPhys is guest-physical memory for host tests: a slice of words.
// Fresh memory is filled with garbage so a frame that should have been
// zeroed and was not shows up.
type simPhys struct {
	mem    []uint64
	invl   int  // Invlpg calls
	flush  int  // Flush calls
	tables int  // NewTable calls minus FreeTable calls
	dirty  bool // a change since the last Flush
}

const garbage = 0xa5a5_5a5a_dead_beef

func newSimPhys(size uint64) *simPhys {
	m := &simPhys{mem: make([]uint64, size/8)}
	for i := range m.mem {
		m.mem[i] = garbage
	}
	return m
}

func (m *simPhys) Table(p PAddr) *[512]uint64     { return (*[512]uint64)(m.mem[p/8 : p/8+512]) }
func (m *simPhys) Entry(t PAddr, i uint64) uint64 { return m.Table(t)[i] }
func (m *simPhys) SetEntry(t PAddr, i, e uint64)  { m.Table(t)[i], m.dirty = e, true }
func (m *simPhys) Zero(p PAddr)                   { clear(m.mem[p/8 : p/8+512]) }
func (m *simPhys) NewTable(PAddr)                 { m.tables, m.dirty = m.tables+1, true }
func (m *simPhys) FreeTable(PAddr)                { m.tables, m.dirty = m.tables-1, true }
func (m *simPhys) Invlpg(VAddr)                   { m.invl, m.dirty = m.invl+1, true }
func (m *simPhys) Flush()                         { m.flush, m.dirty = m.flush+1, false }
func (m *simPhys) page(p PAddr) []uint64          { return m.mem[p/8 : p/8+512] }

// env is a small machine: simulated RAM, a frame allocator over it with the
// first 64 KiB reserved (the "kernel image"), a page table whose low 1 GiB
// is identity mapped with 2 MiB pages the way the kernel sets it up, and a
// Space over [Lo, Hi).
type env struct {
	phys   *simPhys
	fr     *Frames
	sp     *Space
	free0  uint64 // free frames once the kernel's tables exist
	tables int    // tables the kernel made (root, PDPT, PD)
}

const (
	testLo = VAddr(64 << 30)  // 0x10_0000_0000
	testHi = VAddr(UserLimit) // the whole lower half above Lo
)

func newEnv(t testing.TB, ram uint64, lo, hi VAddr) *env {
	t.Helper()
	e := &env{phys: newSimPhys(ram), fr: new(Frames)}
	e.fr.AddFree(0, PAddr(ram))
	e.fr.Reserve(0, 64<<10)
	alloc := func() PAddr {
		p, ok := e.fr.Alloc()
		if !ok {
			t.Fatal("env: out of frames")
		}
		e.phys.Zero(p)
		return p
	}
	root, pdpt, pd := alloc(), alloc(), alloc()
	e.phys.Table(root)[0] = uint64(pdpt) | tableFlags
	e.phys.Table(pdpt)[0] = uint64(pd) | tableFlags
	for i := range 512 {
		e.phys.Table(pd)[i] = uint64(i)<<21 | PTEPresent | PTEWrite | PTEHuge
	}
	e.tables = 3
	e.free0 = e.fr.FreeCount()
	e.sp = &Space{
		PT: PageTable{Root: root, Phys: e.phys, Frames: e.fr},
		Lo: lo,
		Hi: hi,
	}
	return e
}

// frame returns the words of the frame mapped at va, or nil.
func (e *env) frame(va VAddr) []uint64 {
	pte, ok := e.sp.PT.Lookup(va)
	if !ok {
		return nil
	}
	return e.phys.page(PAddr(pte & PTEAddrMask))
}

// touch makes the page at va present the way the CPU would, through Fault,
// and returns its words.
func (e *env) touch(t testing.TB, va VAddr, write bool) []uint64 {
	t.Helper()
	if p := e.frame(va); p != nil {
		return p
	}
	if r := e.sp.Fault(va, write); r != 0 {
		t.Fatalf("Fault(%#x, %v) = %s", va, write, ErrnoName(r))
	}
	p := e.frame(va)
	if p == nil {
		t.Fatalf("Fault(%#x) returned ok but nothing is mapped", va)
	}
	return p
}

func isZero(p []uint64) bool {
	for _, w := range p {
		if w != 0 {
			return false
		}
	}
	return true
}

// countTables counts the page-table pages reachable from the root.
func (e *env) countTables() int {
	var count func(p PAddr, lvl int) int
	count = func(p PAddr, lvl int) int {
		n := 1
		if lvl == 1 {
			return n
		}
		for _, x := range e.phys.Table(p) {
			if x&PTEPresent != 0 && x&PTEHuge == 0 {
				n += count(PAddr(x&PTEAddrMask), lvl-1)
			}
		}
		return n
	}
	return count(e.sp.PT.Root, 4)
}

// leaves calls fn for every 4 KiB leaf entry that is not zero.
func (e *env) leaves(fn func(va VAddr, pte uint64)) {
	var walk func(p PAddr, lvl int, base VAddr)
	walk = func(p PAddr, lvl int, base VAddr) {
		for i, x := range e.phys.Table(p) {
			va := base + VAddr(i)<<shift(lvl)
			switch {
			case x == 0:
			case lvl == 1:
				fn(va, x)
			case x&PTEPresent != 0 && x&PTEHuge == 0:
				walk(PAddr(x&PTEAddrMask), lvl-1, va)
			}
		}
	}
	walk(e.sp.PT.Root, 4, 0)
}

// checkNoLeak asserts every frame handed out since setup came back.
func (e *env) checkNoLeak(t testing.TB) {
	t.Helper()
	if got := e.fr.FreeCount(); got != e.free0 {
		t.Errorf("FreeCount = %d, want %d (%d tables now, kernel made %d)", got, e.free0, e.countTables(), e.tables)
	}
	if n, pages := e.sp.Stats(); n != 0 || pages != 0 {
		t.Errorf("Stats = %d regions, %d pages; want 0, 0", n, pages)
	}
	if b := e.fr.BadFrees(); b != 0 {
		t.Errorf("BadFrees = %d", b)
	}
	if e.phys.tables != 0 {
		t.Errorf("%d more NewTable than FreeTable calls after unmapping everything", e.phys.tables)
	}
}
