package pv

import (
	"fmt"

	"github.com/goxen/goxen/hypercall"
)

// xenSim is a simulated Xen for one 64-bit PV guest with one vCPU: machine
// memory, the guest's P2M and the M2P, page types with Xen's rules for
// page-table updates, and a TLB. It implements Machine, so PageTables
// drives it as it drives Xen.
//
// The rules, as xen/arch/x86/mm.c enforces them (do_mmu_update,
// mod_l1_entry .. mod_l4_entry, get_page_from_l1e/l2e, _get_page_type):
//
//   - a frame has a type: none, writable (its count = writable mappings),
//     or L1..L4 (its count = references as a table, from present entries of
//     the level above, or the pinned root). A type changes only when its
//     count is 0; a frame that becomes a table has all its present entries
//     validated then, and a table whose count drops to 0 releases them;
//   - an mmu_update request names the machine address of an entry; a frame
//     that is a table gets a validated update, any other a plain write;
//   - a present entry must name one of the domain's frames, with allowed
//     flags only: no PSE at L2-L4 (the domain would get 2 MiB of machine
//     memory), no cache-control bits. A writable L1 entry needs a frame that
//     is not a table; an entry of L2-L4 needs a frame with no writable
//     mapping, which becomes a table of the level below;
//   - a non-present entry is written unchecked, except an address that
//     names cacheable memory, which an L1TF-affected CPU refuses
//     (shadow.h, pv_l1tf_check_pte): the sim always refuses it;
//   - Xen adds the user bit to present entries of a 64-bit guest
//     (xen/arch/x86/pv/mm.h, adjust_guest_l1e and friends), and the
//     guest-kernel bit 52 to L1 entries without it.
//
// The TLB caches a translation per page on first use and keeps it until
// INVLPG or a TLB flush drops it, or until the frame becomes a page table
// (Xen flushes on that type change). A read through a stale entry returns
// the old frame, so a missing invalidation shows.
//
// Refusals and faults are recorded, not fatal, so that tests can run a
// deliberately wrong backend and check the sim notices.
type xenSim struct {
	mem  [][512]uint64 // machine memory, by MFN
	ours []bool        // frames of the domain
	typ  []ptype
	cnt  []int
	p2m  P2M
	m2p  M2P
	root MFN // CR3: the pinned L4

	tlb [tlbSize]tlbEntry

	calls    struct{ mmu, reqs, ext, ops int }
	problems []string // refused requests, faults, Fatal calls
}

type ptype uint8

const (
	typeNone ptype = iota
	typeWritable
	typeL1
	typeL2
	typeL3
	typeL4
)

func (p ptype) String() string {
	return [...]string{"none", "writable", "L1", "L2", "L3", "L4"}[p]
}

// tlbSize entries, direct mapped by page number: large enough that tests
// see no eviction.
const tlbSize = 1 << 14

type tlbEntry struct {
	valid bool
	page  uint64 // virtual page number
	mfn   MFN
	rw    bool
}

// PTE bits the sim checks.
const (
	pteP        = 1 << 0
	pteRW       = 1 << 1
	pteUS       = 1 << 2
	ptePWT      = 1 << 3
	ptePCD      = 1 << 4
	pteA        = 1 << 5
	pteD        = 1 << 6
	ptePSE      = 1 << 7 // PAT in an L1 entry
	pteG        = 1 << 8
	pteAvail    = 7 << 9
	pteGuestK   = 1 << 52 // Xen's _PAGE_GUEST_KERNEL
	pteAvailHi  = 0x7ff << 52
	pteNX       = 1 << 63
	allowedBits = pteP | pteRW | pteUS | pteA | pteD | pteAvail | pteAvailHi | pteNX // base_disallow_mask's complement
	l1tfSafe    = 1 << 44                                                            // non-present addresses must be 0 or above
)

// newXenSim makes a machine of nMachine frames and a guest of nrPages
// frames scattered over it (frame p at MFN perm(p)), as a debug Xen hands
// them out. The other frames belong to other domains.
func newXenSim(nrPages, nMachine int) *xenSim {
	s := &xenSim{
		mem:  make([][512]uint64, nMachine),
		ours: make([]bool, nMachine),
		typ:  make([]ptype, nMachine),
		cnt:  make([]int, nMachine),
		p2m:  make(P2M, nrPages),
		m2p:  make(M2P, nMachine),
	}
	for m := range s.m2p {
		s.m2p[m] = 0x5555 // garbage: another domain's
	}
	// A deterministic scatter: stride through the machine frames.
	stride := 7
	for p := 0; p < nrPages; p++ {
		m := MFN((16 + p*stride) % nMachine)
		for s.ours[m] {
			m = (m + 1) % MFN(nMachine)
		}
		s.ours[m] = true
		s.p2m[p] = m
		s.m2p[m] = PFN(p)
	}
	return s
}

// build lays out the domain builder's page tables: an L4, L3 and L2 at
// frames first.., then L1s mapping [0, nrPages) 1:1 with 4 KiB pages,
// writable except the tables themselves; then pins the L4 (CR3). It
// returns the first frame after the tables.
func (s *xenSim) build(first PFN) (l4 PFN, next PFN) {
	n := len(s.p2m)
	nl1 := (n + 511) / 512
	l4, l3, l2 := first, first+1, first+2
	l1 := first + 3
	next = l1 + PFN(nl1)
	mfn := func(p PFN) uint64 { return uint64(s.p2m[p]) << 12 }
	s.mem[s.p2m[l4]][0] = mfn(l3) | pteP | pteRW | pteUS | pteA
	s.mem[s.p2m[l3]][0] = mfn(l2) | pteP | pteRW | pteUS | pteA
	for k := 0; k < nl1; k++ {
		s.mem[s.p2m[l2]][k] = mfn(l1+PFN(k)) | pteP | pteRW | pteUS | pteA
		for j := 0; j < 512 && k*512+j < n; j++ {
			p := PFN(k*512 + j)
			f := uint64(pteP | pteRW | pteA | pteD)
			if p >= first && p < next {
				f &^= pteRW
			}
			s.mem[s.p2m[l1+PFN(k)]][j] = mfn(p) | f
		}
	}
	s.root = s.p2m[l4]
	if err := s.getTable(s.root, typeL4); err != "" {
		panic("sim: the builder's tables do not validate: " + err)
	}
	return l4, next
}

func (s *xenSim) problem(format string, a ...any) {
	s.problems = append(s.problems, fmt.Sprintf(format, a...))
}

// Machine.

func (s *xenSim) Entry(table PFN, i uint64) uint64 {
	m, ok := s.access(uint64(table.Addr()), false)
	if !ok {
		s.problem("read of table frame %#x: no mapping", table)
		return 0
	}
	return s.mem[m][i&511]
}

func (s *xenSim) Zero(p PFN) {
	m, ok := s.access(uint64(p.Addr()), true)
	if !ok {
		s.problem("Zero(frame %#x): page fault writing its 1:1 mapping", p)
		return
	}
	s.mem[m] = [512]uint64{}
}

func (s *xenSim) MMUUpdate(reqs []hypercall.MMUUpdate) (done, rc int) {
	s.calls.mmu++
	for k, r := range reqs {
		s.calls.reqs++
		if err := s.update(r.Ptr, r.Val); err != "" {
			s.problem("mmu_update request %d of %d refused: %s (ptr %#x val %#x)", k, len(reqs), err, r.Ptr, r.Val)
			return k, -22
		}
	}
	return len(reqs), 0
}

func (s *xenSim) MMUExtOp(ops []hypercall.MMUExtOp) (done, rc int) {
	s.calls.ext++
	for k, op := range ops {
		s.calls.ops++
		switch op.Cmd {
		case hypercall.MMUEXT_INVLPG_LOCAL:
			s.invlpg(op.Arg1)
		case hypercall.MMUEXT_TLB_FLUSH_LOCAL:
			s.tlb = [tlbSize]tlbEntry{}
		default:
			s.problem("mmuext_op %d: command %d not simulated", k, op.Cmd)
			return k, -38
		}
	}
	return len(ops), 0
}

func (s *xenSim) Fatal(msg string, detail []byte) { s.problem("Fatal: %s%s", msg, detail) }

// The MMU.

func (s *xenSim) invlpg(va uint64) {
	e := &s.tlb[va>>12%tlbSize]
	if e.valid && e.page == va>>12 {
		*e = tlbEntry{}
	}
}

// access translates va as the CPU does: through the TLB, else by walking
// the tables from CR3 and caching the result. ok is false for a page
// fault.
func (s *xenSim) access(va uint64, write bool) (MFN, bool) {
	e := &s.tlb[va>>12%tlbSize]
	if !e.valid || e.page != va>>12 {
		m, rw, ok := s.walk(va)
		if !ok {
			return 0, false
		}
		*e = tlbEntry{valid: true, page: va >> 12, mfn: m, rw: rw}
	}
	if write && !e.rw {
		*e = tlbEntry{} // a page fault drops the entry (SDM 4.10.4.2)
		return 0, false
	}
	return e.mfn, true
}

func (s *xenSim) walk(va uint64) (m MFN, rw, ok bool) {
	m, rw = s.root, true
	for lvl := 4; lvl >= 1; lvl-- {
		e := s.mem[m][va>>(12+9*uint(lvl-1))&511]
		if e&pteP == 0 {
			return 0, false, false
		}
		rw = rw && e&pteRW != 0
		m = MFN(e & addrMask >> 12)
	}
	return m, rw, true
}

// load and store read and write word 0 of the page at va through the MMU.
func (s *xenSim) load(va uint64) (uint64, bool) {
	m, ok := s.access(va, false)
	if !ok {
		return 0, false
	}
	return s.mem[m][0], true
}

func (s *xenSim) store(va, v uint64) bool {
	m, ok := s.access(va, true)
	if ok {
		s.mem[m][0] = v
	}
	return ok
}

// Xen's side of mmu_update.

func (s *xenSim) mine(m MFN) bool { return uint64(m) < uint64(len(s.ours)) && s.ours[m] }

func isTable(t ptype) bool { return t >= typeL1 }

// update applies one MMU_NORMAL_PT_UPDATE request; "" or why it is refused.
func (s *xenSim) update(ptr, val uint64) string {
	if ptr&3 != hypercall.MMU_NORMAL_PT_UPDATE {
		return "command not simulated"
	}
	table, i := MFN(ptr>>12), ptr&0xfff/8
	if !s.mine(table) {
		return "the entry is in a frame that is not the domain's"
	}
	if !isTable(s.typ[table]) || s.cnt[table] == 0 {
		s.mem[table][i] = val // not a page table: a plain write
		return ""
	}
	return s.mod(table, int(s.typ[table]-typeL1)+1, i, val)
}

// mod writes entry i of table, a level-lvl table, validating the new
// entry, taking its references before it drops the old one's.
func (s *xenSim) mod(table MFN, lvl int, i, val uint64) string {
	if val&pteP == 0 {
		if lvl > 1 && val&ptePSE != 0 {
			return "PSE in a non-present L2-L4 entry (L1TF)"
		}
		if a := val & addrMask; a != 0 && a < l1tfSafe {
			return fmt.Sprintf("non-present entry names cacheable memory %#x (L1TF)", a)
		}
	} else {
		var err string
		if val, err = s.get(lvl, val); err != "" {
			return err
		}
	}
	old := s.mem[table][i]
	s.mem[table][i] = val
	s.put(lvl, old)
	return ""
}

// get validates present entry val of a level-lvl table and takes the
// references it holds; it returns the entry as Xen stores it.
func (s *xenSim) get(lvl int, val uint64) (uint64, string) {
	allowed := uint64(allowedBits)
	if lvl == 1 {
		allowed |= pteG
	}
	if lvl > 1 && val&ptePSE != 0 {
		return 0, "PSE (a superpage) in an L2-L4 entry"
	}
	if bad := val &^ addrMask &^ allowed; bad != 0 {
		return 0, fmt.Sprintf("flags %#x not allowed", bad)
	}
	m := MFN(val & addrMask >> 12)
	if !s.mine(m) {
		return 0, fmt.Sprintf("machine frame %#x is not the domain's", m)
	}
	if lvl == 1 {
		if val&pteUS == 0 {
			val |= pteUS | pteGuestK
		}
		if val&pteGuestK == 0 {
			val |= pteG | pteUS
		}
		if val&pteRW != 0 {
			if err := s.getWritable(m); err != "" {
				return 0, err
			}
		}
		return val, ""
	}
	val |= pteUS
	if lvl == 4 {
		val |= pteA
	}
	return val, s.getTable(m, ptype(int(typeL1)+lvl-2))
}

// put drops the references entry old of a level-lvl table held.
func (s *xenSim) put(lvl int, old uint64) {
	if old&pteP == 0 {
		return
	}
	m := MFN(old & addrMask >> 12)
	if lvl == 1 {
		if old&pteRW != 0 {
			s.cnt[m]--
			if s.cnt[m] == 0 {
				s.typ[m] = typeNone
			}
		}
		return
	}
	s.cnt[m]--
	if s.cnt[m] == 0 {
		// The table is no longer one: release what its entries held.
		l := int(s.typ[m]-typeL1) + 1
		for _, e := range s.mem[m] {
			s.put(l, e)
		}
		s.typ[m] = typeNone
	}
}

func (s *xenSim) getWritable(m MFN) string {
	if isTable(s.typ[m]) && s.cnt[m] > 0 {
		return fmt.Sprintf("a writable mapping of frame %#x, an %v page table", m, s.typ[m])
	}
	s.typ[m] = typeWritable
	s.cnt[m]++
	return ""
}

// getTable takes a reference to m as a table of type t, validating it if
// it becomes one now.
func (s *xenSim) getTable(m MFN, t ptype) string {
	if s.cnt[m] > 0 {
		if s.typ[m] != t {
			return fmt.Sprintf("frame %#x linked as an %v table is in use as %v (%d references)", m, t, s.typ[m], s.cnt[m])
		}
		s.cnt[m]++
		return ""
	}
	lvl := int(t-typeL1) + 1
	for i, e := range s.mem[m] {
		if e&pteP == 0 {
			continue
		}
		v, err := s.get(lvl, e)
		if err != "" {
			return fmt.Sprintf("validating frame %#x as %v, entry %d: %s", m, t, i, err)
		}
		s.mem[m][i] = v
	}
	s.typ[m], s.cnt[m] = t, 1
	// Xen flushes the TLBs that may map the frame writable on a type change.
	for k := range s.tlb {
		if s.tlb[k].valid && s.tlb[k].mfn == m {
			s.tlb[k] = tlbEntry{}
		}
	}
	return ""
}
