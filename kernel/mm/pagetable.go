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

// Phys is the memory manager's access to page tables and physical frames.
// Every read and write of a page-table entry goes through it, so that the
// implementation may translate and route them: in the kernel under PVH,
// RAM is identity mapped and entries are plain loads and stores; in a
// classic PV guest entries hold machine frame numbers, page-table pages
// are read-only and Xen writes every entry (package pv); host tests back
// it with a large slice. The entries Entry returns and SetEntry takes are
// always in this package's terms: their address bits are a PAddr.
//
// A page-table operation (Map, Unmap, a range operation) ends with Flush:
// an implementation may queue SetEntry, Invlpg and the table hand-overs
// until then, as long as Entry never returns a stale entry.
type Phys interface {
	Entry(table PAddr, i uint64) uint64 // entry i (below 512) of the table at table
	SetEntry(table PAddr, i, e uint64)  // write entry i of the table at table
	Zero(p PAddr)                       // fill one 4 KiB frame with zeros
	NewTable(p PAddr)                   // p, zeroed, is about to be linked in as a table
	FreeTable(p PAddr)                  // p, unlinked, goes back to the allocator
	Invlpg(va VAddr)                    // drop the TLB's translation of va (a present entry changed)
	Flush()                             // every change so far is in effect, the TLB included
}

// PageTable edits a 4-level x86-64 page table rooted at Root (the value in
// CR3, a PAddr). New intermediate tables come from Frames. After a present
// entry is changed or removed, Phys.Invlpg drops the TLB's copy.
//
// It shares its tables with the kernel's own large-page (PS) identity
// mappings and never modifies them: Map and Unmap refuse addresses they
// cover.
type PageTable struct {
	Root   PAddr
	Phys   Phys
	Frames *Frames
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

// Map maps the 4 KiB page at va to the frame at pa with the given flags
// (PTEPresent is always added), creating intermediate tables as needed.
// Errors: EINVAL for an unaligned or non-canonical address, EBUSY when a
// large-page entry covers va, EEXIST when va is already mapped, ENOMEM when
// no frame is left for a table (tables created before that stay, empty).
func (pt *PageTable) Map(va VAddr, pa PAddr, flags uint64) int {
	r := pt.mapPage(va, pa, flags)
	pt.Phys.Flush()
	return r
}

func (pt *PageTable) mapPage(va VAddr, pa PAddr, flags uint64) int {
	if va&pageMask != 0 || !canonical(va) || uint64(pa)&^PTEAddrMask != 0 {
		return EINVAL
	}
	t := pt.Root
	for lvl := 4; lvl > 1; lvl-- {
		i := index(va, lvl)
		e := pt.Phys.Entry(t, i)
		switch {
		case e&PTEPresent == 0 && e != 0:
			return EBUSY // someone else's non-present entry: leave it
		case e&PTEPresent == 0:
			f, ok := pt.Frames.Alloc()
			if !ok {
				return ENOMEM
			}
			pt.Phys.Zero(f)
			pt.Phys.NewTable(f)
			e = uint64(f) | tableFlags
			pt.Phys.SetEntry(t, i, e)
		case e&PTEHuge != 0:
			return EBUSY
		}
		t = PAddr(e & PTEAddrMask)
	}
	i := index(va, 1)
	if pt.Phys.Entry(t, i) != 0 {
		return EEXIST
	}
	pt.Phys.SetEntry(t, i, uint64(pa)|flags&^PTEAddrMask|PTEPresent)
	return 0
}

// leaf returns the table holding the 4 KiB leaf entry for va, its index
// and the entry, or ok false when an intermediate entry is missing. A
// large page covering va is returned as the leaf itself (huge is true).
func (pt *PageTable) leaf(va VAddr) (t PAddr, i, e uint64, huge, ok bool) {
	if !canonical(va) {
		return 0, 0, 0, false, false
	}
	t = pt.Root
	for lvl := 4; lvl > 1; lvl-- {
		i = index(va, lvl)
		e = pt.Phys.Entry(t, i)
		if e&PTEPresent == 0 {
			return 0, 0, 0, false, false
		}
		if e&PTEHuge != 0 {
			return t, i, e, true, true
		}
		t = PAddr(e & PTEAddrMask)
	}
	i = index(va, 1)
	return t, i, pt.Phys.Entry(t, i), false, true
}

// Unmap removes the 4 KiB mapping at va and returns the frame it pointed
// to; the caller owns that frame now. It also removes a held PROT_NONE
// entry. It leaves large pages alone (ok false), and it does not free
// intermediate tables that become empty (Space's range operations do).
func (pt *PageTable) Unmap(va VAddr) (PAddr, bool) {
	t, i, e, huge, ok := pt.leaf(va)
	if !ok || huge || e == 0 {
		return 0, false
	}
	pt.Phys.SetEntry(t, i, 0)
	if e&PTEPresent != 0 {
		pt.Phys.Invlpg(va &^ pageMask)
	}
	pt.Phys.Flush()
	return PAddr(e & PTEAddrMask), true
}

// Lookup returns the entry that translates va: a 4 KiB leaf, or the
// large-page entry covering va. ok says whether it is present. A held
// PROT_NONE page comes back as a nonzero entry with ok false.
func (pt *PageTable) Lookup(va VAddr) (pte uint64, ok bool) {
	_, _, e, _, found := pt.leaf(va)
	if !found {
		return 0, false
	}
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
func (pt *PageTable) walk(t PAddr, lvl int, base, start, end VAddr, op *rangeOp) {
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
		e := pt.Phys.Entry(t, i)
		if e == 0 {
			continue
		}
		eBase := base + VAddr(i)<<sh
		if lvl == 1 {
			switch op.mode {
			case opDrop:
				pt.Phys.SetEntry(t, i, 0)
				if e&PTEPresent != 0 {
					pt.Phys.Invlpg(eBase)
				}
				pt.Frames.Free(PAddr(e & PTEAddrMask))
			case opProtect:
				pt.Phys.SetEntry(t, i, e&PTEAddrMask|op.flags)
				if e&PTEPresent != 0 {
					pt.Phys.Invlpg(eBase)
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
			pt.empty(child) {
			pt.Phys.SetEntry(t, i, 0)
			// INVLPG also flushes the paging-structure caches (SDM 4.10.4.1),
			// so the CPU forgets the freed table.
			pt.Phys.Invlpg(eBase)
			pt.Phys.FreeTable(child)
			pt.Frames.Free(child)
			op.tables++
		}
	}
}

func (pt *PageTable) empty(t PAddr) bool {
	for i := uint64(0); i < 512; i++ {
		if pt.Phys.Entry(t, i) != 0 {
			return false
		}
	}
	return true
}

// walkRange runs op over [start, end), which must lie below UserLimit, and
// flushes.
func (pt *PageTable) walkRange(start, end VAddr, op *rangeOp) {
	if end > UserLimit {
		end = UserLimit
	}
	if start < end {
		pt.walk(pt.Root, 4, 0, start, end, op)
	}
	pt.Phys.Flush()
}
