package pv

import (
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/internal/numfmt"
	"github.com/goxen/goxen/kernel/mm"
)

// The page-table backend of package mm (mm.Phys) for a 64-bit PV guest.
//
// mm edits x86-64 page tables in its own terms: an entry's address bits
// are a pseudo-physical address, and under PVH it stores them directly.
// In a PV guest three things differ (xen/arch/x86/mm.c, do_mmu_update and
// mod_l1_entry .. mod_l4_entry; xen/arch/x86/pv/mm.h):
//
//   - a present entry holds a machine frame: SetEntry translates the PFN
//     through the P2M, Entry translates back through the M2P (PFNOf, which
//     refuses a frame that is not ours);
//   - every page-table page is read-only in every mapping, and Xen writes
//     each entry (HYPERVISOR_mmu_update, ptr = machine address of the entry
//     | MMU_NORMAL_PT_UPDATE), validating it: a writable mapping of a
//     page-table frame, a table with a writable mapping, a PSE entry, a
//     frame that is not the domain's are all refused. So NewTable makes the
//     new table's own 1:1 mapping (virtual address PFN<<12) read-only before
//     it is linked, and FreeTable makes it writable again after it is
//     unlinked, before the frame is zeroed for its next owner;
//   - INVLPG is privileged: the TLB is invalidated with
//     HYPERVISOR_mmuext_op (MMUEXT_INVLPG_LOCAL, or MMUEXT_TLB_FLUSH_LOCAL
//     when there are many pages).
//
// # Batching, and why reads are never stale
//
// SetEntry, NewTable, FreeTable and Invlpg only queue: mmu_update requests
// in q, addresses to invalidate in invl. Flush (mm calls it at the end of
// every operation) submits the requests in order, queueLen to an
// mmu_update (Xen applies them in order, so a frame made read-only by one
// request may be linked as a table by the next), then the invalidations
// in one mmuext_op. A munmap of 64 present pages in one table is one
// mmu_update and one mmuext_op; a first fault that needs two new tables
// one mmu_update of 5 requests (TestPVHypercalls).
//
// Invalidations are local: mm's caller runs on one vCPU at a time, as
// under PVH, where INVLPG is local too.
//
// Entry reads the table itself (mapped read-only at its 1:1 address), so
// an entry with a queued write would read stale. Each queued write also
// sets a bit for its entry in dirty (per table; a few tables at a time):
// Entry submits the queue first when its entry's bit is set. mm reads an
// entry it has written only when it checks whether a table emptied (a
// munmap that frees tables submits once more per table level). The queue
// is also submitted when it is full or a further table would be dirty;
// invalidations wait for Flush. Zero flushes first when its frame is a
// table FreeTable handed back in this batch: its 1:1 mapping is read-only
// until the queue is submitted, and in the TLB until the INVLPG.
//
// Every prefix of the queue is a state Xen accepts, because mm hands
// tables over in order (Zero, NewTable, link; unlink, FreeTable), so a
// flush at any point is safe.
//
// # Non-present entries
//
// Xen does not validate a non-present entry's address (mod_l1_entry
// writes it unchecked), except on CPUs affected by L1TF: there a
// non-present entry whose address bits name cacheable memory makes Xen
// shadow or crash the domain (xen/arch/x86/include/asm/shadow.h,
// pv_l1tf_check_pte; zero and addresses above the top of RAM are safe).
// mm's held PROT_NONE entries (non-present, with the frame's address) are
// therefore stored as the inverted PFN, as Linux stores PROT_NONE entries
// (arch/x86/include/asm/pgtable-invert.h; Linux PV translates present
// entries only): all high address bits set, above any RAM, and no machine
// frame. Entry inverts them back. A failing hypercall, or an entry naming
// a frame that is not ours, is fatal (Machine.Fatal).

// Machine is the hardware PageTables drives: the guest's 1:1 mapping of
// its frames and Xen's page-table hypercalls. The kernel's is Xen (nil in
// Init); host tests use a simulated Xen.
type Machine interface {
	// Entry returns entry i of the page-table page at frame table, read
	// through its (read-only) 1:1 mapping.
	Entry(table PFN, i uint64) uint64
	// Zero clears frame p through its 1:1 mapping.
	Zero(p PFN)
	MMUUpdate(reqs []hypercall.MMUUpdate) (done, rc int)
	MMUExtOp(ops []hypercall.MMUExtOp) (done, rc int)
	// Fatal reports a broken invariant and does not return in the kernel.
	Fatal(msg string, detail []byte)
}

const (
	queueLen = 128 // mmu_update requests per batch (16 bytes each)
	maxInvl  = 32  // INVLPGs per flush; more become one local TLB flush
	maxDirty = 8   // tables with queued writes
	maxFreed = 16  // tables handed back by FreeTable per batch

	addrMask = mm.PTEAddrMask
	pfnBits  = 40 // address bits 12-51 of an entry
)

// Stats counts the hypercalls PageTables made.
type Stats struct {
	MMUUpdateCalls, MMUUpdateReqs uint64 // mmu_update calls and requests
	MMUExtCalls, MMUExtOps        uint64 // mmuext_op calls and operations
	ReadFlushes                   uint64 // flushes forced by Entry or Zero
}

type dirtyTable struct {
	table PFN
	bits  [512 / 64]uint64
}

// PageTables implements mm.Phys for a 64-bit PV guest (see above). Set it
// up with Init and give mm a pointer to it:
//
//	var tables pv.PageTables // a global: mm.Phys holds its address
//	tables.Init(pv.P2MTable(), pv.M2PTable(), pv.PFN(pv.StartInfo.PTBase>>12), nil)
//	space.PT = mm.PageTable{Root: tables.Root(), Phys: &tables, Frames: &frames}
//
// Frames mm may allocate must be mapped 1:1 and writable (pv.MapRAM), and
// none may be a page table already. SetWritable changes one 1:1 mapping
// (the kernel's text, read-only); call Flush after a series of them.
// PageTables is not safe for concurrent use: mm's caller serializes.
type PageTables struct {
	p2m  P2M
	m2p  M2P
	root PFN
	m    Machine

	// Counts are uint, so that the compiler proves every index in range.
	q        [queueLen]hypercall.MMUUpdate
	nq       uint
	dirty    [maxDirty]dirtyTable
	nd       uint
	invl     [maxInvl]uint64
	ni       uint
	flushAll bool
	freed    [maxFreed]PFN
	nf       uint
	ext      [maxInvl]hypercall.MMUExtOp

	Stats Stats
}

// Init sets the tables up for the page table whose L4 is at frame root,
// with the guest's P2M and Xen's M2P. m nil means the real Xen.
func (t *PageTables) Init(p2m P2M, m2p M2P, root PFN, m Machine) {
	if m == nil {
		m = &xen
	}
	*t = PageTables{p2m: p2m, m2p: m2p, root: root, m: m}
}

// Root is the L4's address in mm's terms, for mm.PageTable.Root.
func (t *PageTables) Root() mm.PAddr { return mm.PAddr(t.root.Addr()) }

// Entry returns entry i of the table at table with its address as a PAddr.
func (t *PageTables) Entry(table mm.PAddr, i uint64) uint64 {
	return t.toMM(t.raw(PFN(table>>mm.PageShift), i&511))
}

// raw returns the entry as Xen holds it, after submitting a queued write
// to it.
func (t *PageTables) raw(table PFN, i uint64) uint64 {
	for k := uint(0); k < t.nd && k < maxDirty; k++ {
		if d := &t.dirty[k]; d.table == table {
			if d.bits[i/64&7]&(1<<(i%64)) != 0 {
				t.Stats.ReadFlushes++
				t.submit()
			}
			break
		}
	}
	return t.m.Entry(table, i)
}

// SetEntry queues the write of entry i of the table at table.
func (t *PageTables) SetEntry(table mm.PAddr, i, e uint64) {
	p := PFN(table >> mm.PageShift)
	m, ok := t.p2m.MFN(p)
	if !ok {
		t.fatal("pv page tables: a table beyond the P2M at frame ", uint64(p))
		return
	}
	x, ok := t.toXen(e)
	if !ok {
		t.fatal("pv page tables: an entry names a frame beyond the P2M: ", e)
		return
	}
	t.queue(m, p, i&511, x)
}

// Zero clears frame p, after the queue when p is a table FreeTable handed
// back and its 1:1 mapping is not yet writable again.
func (t *PageTables) Zero(p mm.PAddr) {
	f := PFN(p >> mm.PageShift)
	for k := uint(0); k < t.nf && k < maxFreed; k++ {
		if t.freed[k] == f {
			t.Stats.ReadFlushes++
			t.Flush()
			break
		}
	}
	t.m.Zero(f)
}

// NewTable makes frame p's 1:1 mapping read-only, so that Xen accepts it
// as a page table when mm links it next. No INVLPG is needed: when a frame
// becomes a page table Xen itself flushes the TLBs that may still hold a
// writable mapping of it (xen/arch/x86/mm.c, _get_page_type, "On type
// change we check to flush stale TLB entries").
func (t *PageTables) NewTable(p mm.PAddr) {
	t.setDirect(PFN(p>>mm.PageShift), false, false)
}

// FreeTable makes frame p's 1:1 mapping writable again (mm has unlinked
// it, so Xen no longer counts it as a table) and drops the read-only TLB
// entry, before the frame goes back to the allocator.
func (t *PageTables) FreeTable(p mm.PAddr) {
	if t.nf >= maxFreed {
		t.Flush()
	}
	f := PFN(p >> mm.PageShift)
	t.setDirect(f, true, true)
	t.freed[t.nf%maxFreed] = f
	t.nf++
}

// SetWritable queues making the 1:1 mapping of frame p (virtual address
// p<<12) writable or read-only, and the invalidation of its TLB entry. It
// applies at the next Flush.
func (t *PageTables) SetWritable(p PFN, writable bool) {
	t.setDirect(p, writable, true)
}

// Invlpg queues dropping the TLB's translation of va; past maxInvl
// addresses Flush drops the whole (local) TLB instead.
func (t *PageTables) Invlpg(va mm.VAddr) {
	if t.ni >= maxInvl {
		t.flushAll = true
		return
	}
	t.invl[t.ni] = uint64(va)
	t.ni++
}

// Flush submits the queued mmu_update requests in order, then the TLB
// invalidations.
func (t *PageTables) Flush() {
	t.submit()
	t.nf = 0
	if t.ni == 0 && !t.flushAll {
		return
	}
	n := uint(0)
	if t.flushAll {
		t.ext[0] = hypercall.MMUExtOp{Cmd: hypercall.MMUEXT_TLB_FLUSH_LOCAL}
		n = 1
	} else {
		for ; n < t.ni && n < maxInvl; n++ {
			t.ext[n] = hypercall.MMUExtOp{Cmd: hypercall.MMUEXT_INVLPG_LOCAL, Arg1: t.invl[n]}
		}
	}
	t.ni, t.flushAll = 0, false
	t.Stats.MMUExtCalls++
	t.Stats.MMUExtOps += uint64(n)
	n = min(n, maxInvl)
	if done, rc := t.m.MMUExtOp(t.ext[:n]); rc != 0 || done != int(n) {
		var b [96]byte
		t.m.Fatal("pv page tables: mmuext_op (TLB invalidation) = ", appendResult(b[:0], rc, done, int(n)))
	}
}

// submit hands the queued mmu_update requests to Xen, in one batch. The
// TLB invalidations stay queued: until Flush only the kernel runs, and it
// reaches the pages whose entries changed only through Zero, which
// flushes first for a freed table (a data frame's 1:1 mapping never
// changes).
func (t *PageTables) submit() {
	if t.nq == 0 {
		return
	}
	n := min(t.nq, queueLen)
	t.nq, t.nd = 0, 0
	t.Stats.MMUUpdateCalls++
	t.Stats.MMUUpdateReqs += uint64(n)
	if done, rc := t.m.MMUUpdate(t.q[:n]); rc != 0 || done != int(n) {
		t.failUpdate(done, int(n), rc)
	}
}

// queue appends the request *ma = x, where ma is entry i of table (at
// machine frame m), and marks the entry dirty.
func (t *PageTables) queue(m MFN, table PFN, i, x uint64) {
	d := t.dirtyFor(table)
	if t.nq >= queueLen || d == nil {
		t.submit()
		d = t.dirtyFor(table)
	}
	t.q[t.nq%queueLen] = hypercall.MMUUpdate{Ptr: m.MA(i*8) | hypercall.MMU_NORMAL_PT_UPDATE, Val: x}
	t.nq++
	d.bits[i/64&7] |= 1 << (i % 64)
}

// dirtyFor returns table's dirty bits, adding it if there is room, or nil.
func (t *PageTables) dirtyFor(table PFN) *dirtyTable {
	for k := uint(0); k < t.nd && k < maxDirty; k++ {
		if t.dirty[k].table == table {
			return &t.dirty[k]
		}
	}
	if t.nd >= maxDirty {
		return nil
	}
	d := &t.dirty[t.nd%maxDirty]
	*d = dirtyTable{table: table}
	t.nd++
	return d
}

// setDirect queues the change of the 1:1 mapping of frame p to writable
// or read-only, and its invalidation if invl. The L1 entry is found by
// walking the page table from the root: the 1:1 map uses 4 KiB pages only.
func (t *PageTables) setDirect(p PFN, writable, invl bool) {
	va := uint64(p.Addr())
	tbl := t.root
	for lvl := 4; lvl > 1; lvl-- {
		e := t.raw(tbl, va>>(12+9*uint(lvl-1))&511)
		next, ok := PFNOf(t.m2p, t.p2m, MFN(e&addrMask>>12))
		if e&hypercall.PTE_P == 0 || e&mm.PTEHuge != 0 || !ok {
			t.fatal("pv page tables: no 4 KiB 1:1 mapping of frame ", uint64(p))
			return
		}
		tbl = next
	}
	i := va >> 12 & 511
	e := t.raw(tbl, i)
	want, _ := t.p2m.MFN(p)
	if e&hypercall.PTE_P == 0 || MFN(e&addrMask>>12) != want {
		t.fatal("pv page tables: the 1:1 mapping does not map frame ", uint64(p))
		return
	}
	x := e &^ hypercall.PTE_RW
	if writable {
		x |= hypercall.PTE_RW
	}
	if x == e {
		return
	}
	l1, _ := t.p2m.MFN(tbl)
	t.queue(l1, tbl, i, x)
	if invl {
		t.Invlpg(mm.VAddr(va))
	}
}

// toXen turns mm's entry into Xen's: a present entry's PFN becomes its
// MFN; a non-present entry's address, if any, is inverted (see above).
func (t *PageTables) toXen(e uint64) (uint64, bool) {
	a := e & addrMask
	if e&mm.PTEPresent == 0 {
		if a == 0 {
			return e, true
		}
		return e&^addrMask | ^a&addrMask, true
	}
	m, ok := t.p2m.MFN(PFN(a >> 12))
	return e&^addrMask | m.MA(0)&addrMask, ok
}

// toMM is toXen's inverse.
func (t *PageTables) toMM(x uint64) uint64 {
	a := x & addrMask
	if x&mm.PTEPresent == 0 {
		if a == 0 {
			return x
		}
		return x&^addrMask | ^a&addrMask
	}
	p, ok := PFNOf(t.m2p, t.p2m, MFN(a>>12))
	if !ok {
		t.fatal("pv page tables: an entry maps a machine frame that is not ours: ", x)
		return 0
	}
	return x&^addrMask | uint64(p.Addr())
}

// failUpdate reports a refused mmu_update batch: Xen applied done of n.
func (t *PageTables) failUpdate(done, n, rc int) {
	var b [160]byte
	m := appendResult(b[:0], rc, done, n)
	if done >= 0 && done < n && done < queueLen {
		r := t.q[done]
		m = append(m, "; refused: entry at machine address "...)
		m = numfmt.AppendHex64(m, r.Ptr&^3)
		m = append(m, " = "...)
		m = numfmt.AppendHex64(m, r.Val)
	}
	t.m.Fatal("pv page tables: mmu_update = ", m)
}

// appendResult formats a batch hypercall's result: "rc after done of n".
func appendResult(b []byte, rc, done, n int) []byte {
	b = numfmt.AppendInt(b, int64(rc))
	b = append(b, " after "...)
	b = numfmt.AppendInt(b, int64(done))
	b = append(b, " of "...)
	return numfmt.AppendInt(b, int64(n))
}

func (t *PageTables) fatal(msg string, v uint64) {
	var b [24]byte
	t.m.Fatal(msg, numfmt.AppendHex64(b[:0], v))
}
