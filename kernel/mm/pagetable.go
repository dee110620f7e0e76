package mm

// x86-64 page-table entry bits. Intel SDM Vol. 3A, section 4.5 (4-level
// paging), tables 4-14 to 4-20.
const (
	PTEPresent      uint64 = 1 << 0  // P
	PTEWrite        uint64 = 1 << 1  // R/W
	PTEUser         uint64 = 1 << 2  // U/S
	PTEWriteThrough uint64 = 1 << 3  // PWT
	PTECacheDisable uint64 = 1 << 4  // PCD
	PTEAccessed     uint64 = 1 << 5  // A
	PTEDirty        uint64 = 1 << 6  // D
	PTEHuge         uint64 = 1 << 7  // PS: a 1 GiB (PDPT) or 2 MiB (PD) leaf
	PTEGlobal       uint64 = 1 << 8  // G
	PTENoExec       uint64 = 1 << 63 // XD; only valid once EFER.NXE is set
	PTEAddrMask     uint64 = 0x000f_ffff_ffff_f000

	// pteHeld is one of the bits the CPU ignores (9-11) in a non-present
	// leaf. It marks a page of a PROT_NONE region whose frame is kept, so
	// that mprotect back to read/write finds the old contents.
	pteHeld uint64 = 1 << 9

	// Intermediate entries allow everything; the leaf decides.
	tableFlags = PTEPresent | PTEWrite | PTEUser
)

// Phys gives the memory manager access to physical frames. In the kernel,
// RAM is identity mapped and the implementation turns a PAddr into a
// pointer; host tests back it with a large slice.
type Phys interface {
	Table(p PAddr) *[512]uint64 // the frame at p seen as a page-table page
	Zero(p PAddr)               // fill one 4 KiB frame with zeros
}

// PageTable edits a 4-level x86-64 page table rooted at Root (the value in
// CR3). New intermediate tables come from Frames. Invlpg, when not nil, is
// called after a present entry is changed or removed.
//
// It shares its tables with the kernel's own large-page (PS) identity
// mappings and never modifies them: Map and Unmap refuse addresses they
// cover.
type PageTable struct {
	Root   PAddr
	Phys   Phys
	Frames *Frames
	Invlpg func(VAddr)
	IO     EntryIO
}

// shift returns log2 of the span of one entry of a level-lvl table
// (4 = PML4, 3 = PDPT, 2 = PD, 1 = PT).
func shift(lvl int) uint { return PageShift + 9*uint(lvl-1) }

func index(va VAddr, lvl int) uint64 { return uint64(va>>shift(lvl)) & 511 }

// canonical reports whether bits 63..47 of va are all equal.
func canonical(va VAddr) bool {
	top := uint64(va) >> 47
	return top == 0 || top == 1<<17-1
}

func (pt *PageTable) invlpg(va VAddr) {
	if pt.Invlpg != nil {
		pt.Invlpg(va)
	}
}

// Map maps the 4 KiB page at va to the frame at pa with the given flags
// (PTEPresent is always added), creating intermediate tables as needed.
// Errors: EINVAL for an unaligned or non-canonical address, EBUSY when a
// large-page entry covers va, EEXIST when va is already mapped, ENOMEM when
// no frame is left for a table (tables created before that stay, empty).
func (pt *PageTable) Map(va VAddr, pa PAddr, flags uint64) int {
	if va&pageMask != 0 || !canonical(va) || uint64(pa)&^PTEAddrMask != 0 {
		return EINVAL
	}
	t := pt.Phys.Table(pt.Root)
	for lvl := 4; lvl > 1; lvl-- {
		i := index(va, lvl)
		e := pt.get(t, i)
		switch {
		case e&PTEPresent == 0 && e != 0:
			return EBUSY // someone else's non-present entry: leave it
		case e&PTEPresent == 0:
			f, ok := pt.Frames.Alloc()
			if !ok {
				return ENOMEM
			}
			pt.Phys.Zero(f)
			pt.newTable(f)
			e = uint64(f) | tableFlags
			pt.set(t, i, e)
		case e&PTEHuge != 0:
			return EBUSY
		}
		t = pt.Phys.Table(PAddr(e & PTEAddrMask))
	}
	i := index(va, 1)
	if pt.get(t, i) != 0 {
		return EEXIST
	}
	pt.set(t, i, uint64(pa) | flags&^PTEAddrMask | PTEPresent)
	return 0
}

// leaf returns the table holding the 4 KiB leaf entry for va and its index,
// or nil when an intermediate entry is missing. A large page covering va is
// returned as the leaf itself (huge is true).
func (pt *PageTable) leaf(va VAddr) (t *[512]uint64, i uint64, huge bool) {
	if !canonical(va) {
		return nil, 0, false
	}
	t = pt.Phys.Table(pt.Root)
	for lvl := 4; lvl > 1; lvl-- {
		i = index(va, lvl)
		e := pt.get(t, i)
		if e&PTEPresent == 0 {
			return nil, 0, false
		}
		if e&PTEHuge != 0 {
			return t, i, true
		}
		t = pt.Phys.Table(PAddr(e & PTEAddrMask))
	}
	return t, index(va, 1), false
}

// Unmap removes the 4 KiB mapping at va and returns the frame it pointed
// to; the caller owns that frame now. It also removes a held PROT_NONE
// entry. It leaves large pages alone (ok false), and it does not free
// intermediate tables that become empty (Space's range operations do).
func (pt *PageTable) Unmap(va VAddr) (PAddr, bool) {
	t, i, huge := pt.leaf(va)
	if t == nil || huge || pt.get(t, i) == 0 {
		return 0, false
	}
	e := pt.get(t, i)
	pt.set(t, i, 0)
	if e&PTEPresent != 0 {
		pt.invlpg(va &^ pageMask)
	}
	return PAddr(e & PTEAddrMask), true
}

// Lookup returns the entry that translates va: a 4 KiB leaf, or the
// large-page entry covering va. ok says whether it is present. A held
// PROT_NONE page comes back as a nonzero entry with ok false.
func (pt *PageTable) Lookup(va VAddr) (pte uint64, ok bool) {
	t, i, _ := pt.leaf(va)
	if t == nil {
		return 0, false
	}
	// kernel:nopanic i is 9 bits of an address: below 512
	e := pt.get(t, i)
	return e, e&PTEPresent != 0
}

// Range operations, used by Space for munmap, madvise, mprotect and FIXED.
const (
	opDrop    = iota // clear leaves, free their frames, reclaim empty tables
	opProtect        // rewrite leaves' flags, keep their frames
)

type rangeOp struct {
	mode         int
	flags        uint64 // opProtect: the new non-address bits of each leaf
	ownLo, ownHi VAddr  // opDrop: tables whose whole span lies here may be freed
	pages        uint64 // leaves dropped or rewritten
	tables       uint64 // tables freed
}

// walk applies op to every leaf in [start, end) under the level-lvl table at
// tpa, whose first entry translates base. Missing intermediate entries are
// skipped whole, so a range of mostly untouched reservations costs little.
// Large pages are skipped. Only the lower half (below UserLimit) is walked.
func (pt *PageTable) walk(tpa PAddr, lvl int, base, start, end VAddr, op *rangeOp) {
	t := pt.Phys.Table(tpa)
	sh := shift(lvl)
	span := VAddr(1) << sh
	first, last := uint64(0), uint64(511)
	if start > base {
		first = uint64(start-base) >> sh
	}
	if end-1-base < 512<<sh {
		last = uint64(end-1-base) >> sh
	}
	for i := first; i <= last; i++ {
		// kernel:nopanic first <= last < 512: 9 bits of an address
		e := pt.get(t, i)
		if e == 0 {
			continue
		}
		eBase := base + VAddr(i)<<sh
		if lvl == 1 {
			switch op.mode {
			case opDrop:
				pt.set(t, i, 0)
				if e&PTEPresent != 0 {
					pt.invlpg(eBase)
				}
				pt.Frames.Free(PAddr(e & PTEAddrMask))
			case opProtect:
				pt.set(t, i, e&PTEAddrMask | op.flags)
				if e&PTEPresent != 0 {
					pt.invlpg(eBase)
				}
			}
			op.pages++
			continue
		}
		if e&PTEPresent == 0 || e&PTEHuge != 0 {
			continue
		}
		child := PAddr(e & PTEAddrMask)
		pt.walk(child, lvl-1, eBase, start, end, op)
		if op.mode == opDrop && eBase >= op.ownLo && op.ownHi > eBase && op.ownHi-eBase >= span &&
			empty(pt.Phys.Table(child)) {
			pt.set(t, i, 0)
			// INVLPG also flushes the paging-structure caches (SDM 4.10.4.1),
			// so the CPU forgets the freed table.
			pt.invlpg(eBase)
			pt.freeTable(child)
			pt.Frames.Free(child)
			op.tables++
		}
	}
}

func empty(t *[512]uint64) bool {
	for _, e := range t {
		if e != 0 {
			return false
		}
	}
	return true
}

// walkRange runs op over [start, end), which must lie below UserLimit.
func (pt *PageTable) walkRange(start, end VAddr, op *rangeOp) {
	if end > UserLimit {
		end = UserLimit
	}
	if start >= end {
		return
	}
	pt.walk(pt.Root, 4, 0, start, end, op)
}

// EntryIO is implemented by a Phys whose entries must be written through
// the hypervisor and translated (classic PV).
type EntryIO interface {
	Get(t *[512]uint64, i uint64) uint64
	Set(t *[512]uint64, i uint64, e uint64)
	NewTable(f PAddr)
	FreeTable(f PAddr)
}

func (pt *PageTable) get(t *[512]uint64, i uint64) uint64 {
	if io := pt.IO; io != nil {
		return io.Get(t, i)
	}
	return t[i]
}

func (pt *PageTable) set(t *[512]uint64, i uint64, e uint64) {
	if io := pt.IO; io != nil {
		io.Set(t, i, e)
		return
	}
	t[i] = e
}

func (pt *PageTable) newTable(f PAddr) {
	if io := pt.IO; io != nil {
		io.NewTable(f)
	}
}

func (pt *PageTable) freeTable(f PAddr) {
	if io := pt.IO; io != nil {
		io.FreeTable(f)
	}
}
