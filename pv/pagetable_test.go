package pv

import (
	"fmt"
	"strings"
	"testing"

	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/kernel/mm"
)

// These tests drive package mm's Space through PageTables against the
// simulated Xen (xensim_test.go), which refuses what Xen refuses and
// keeps stale TLB entries until they are invalidated.

const (
	simPages   = 1024 // a 4 MiB guest
	simMachine = 2*simPages + 64
	simTables  = 8 // the builder's tables start here; frames below are the "image"
	spaceLo    = mm.VAddr(64 << 30)
	spaceHi    = spaceLo + 4<<30
	anon       = mm.MAP_PRIVATE | mm.MAP_ANONYMOUS
)

type pvEnv struct {
	sim   *xenSim
	pt    PageTables
	fr    *mm.Frames
	sp    *mm.Space
	free0 uint64 // free frames at the start
	first PFN    // first frame the allocator manages
}

// newPVEnv builds a guest and a Space over [spaceLo, spaceHi) whose
// mm.Phys is the PageTables, or what wrap makes of it.
func newPVEnv(wrap func(*PageTables) mm.Phys) *pvEnv {
	s := newXenSim(simPages, simMachine)
	l4, next := s.build(simTables)
	e := &pvEnv{sim: s, fr: new(mm.Frames), first: next}
	e.fr.AddFree(mm.PAddr(next.Addr()), mm.PAddr(PFN(simPages).Addr()))
	e.free0 = e.fr.FreeCount()
	e.pt.Init(s.p2m, s.m2p, l4, s)
	var phys mm.Phys = &e.pt
	if wrap != nil {
		phys = wrap(&e.pt)
	}
	e.sp = &mm.Space{PT: mm.PageTable{Root: e.pt.Root(), Phys: phys, Frames: e.fr}, Lo: spaceLo, Hi: spaceHi, User: true}
	return e
}

// access is a load or store by the program at va: through the sim's MMU,
// and through Space.Fault as the kernel's fault handler would when the MMU
// faults. It returns the word read (or written) and mm's errno.
func (e *pvEnv) access(va mm.VAddr, write bool, v uint64) (uint64, int) {
	for try := 0; try < 2; try++ {
		if write {
			if e.sim.store(uint64(va), v) {
				return v, 0
			}
		} else if w, ok := e.sim.load(uint64(va)); ok {
			return w, 0
		}
		if r := e.sp.Fault(va, write); r != 0 {
			return 0, r
		}
	}
	return 0, -1 // Fault said retry, the MMU faulted again
}

// workload runs what the Go runtime and a program do to memory and
// returns everything that went wrong: the sim's problems (refused
// requests, faults in the kernel's own accesses, Fatal) and wrong contents
// the program would see.
func (e *pvEnv) workload() []string {
	bad := e.workloadSteps()
	return append(append([]string(nil), e.sim.problems...), bad...)
}

func (e *pvEnv) workloadSteps() []string {
	var bad []string
	fail := func(f string, a ...any) { bad = append(bad, fmt.Sprintf(f, a...)) }
	sp := e.sp
	res, r := sp.Mmap(0, 64<<20, mm.ProtNone, anon)
	if r != 0 {
		return []string{"reserve: " + mm.ErrnoName(r)}
	}
	// 128 pages across a 2 MiB boundary (two L1 tables).
	base := (res+4<<20)&^(2<<20-1) - 64*mm.PageSize
	const n = 128
	if _, r := sp.Mmap(base, n*mm.PageSize, mm.ProtRead|mm.ProtWrite, anon|mm.MAP_FIXED); r != 0 {
		return []string{"commit: " + mm.ErrnoName(r)}
	}
	page := func(k int) mm.VAddr { return base + mm.VAddr(k)*mm.PageSize }
	for k := 0; k < n; k++ {
		if _, r := e.access(page(k), true, uint64(page(k))); r != 0 {
			fail("write page %d: %s", k, mm.ErrnoName(r))
		}
	}
	expect := func(what string, from, to int, want func(int) uint64) {
		for k := from; k < to; k++ {
			if w, r := e.access(page(k), false, 0); r != 0 || w != want(k) {
				fail("%s: page %d reads %#x (%s), want %#x", what, k, w, mm.ErrnoName(r), want(k))
			}
		}
	}
	tag := func(k int) uint64 { return uint64(page(k)) }
	expect("after writing", 0, n, tag)

	// Read-only: writes fault for good, reads still work.
	if r := sp.Mprotect(page(0), 16*mm.PageSize, mm.ProtRead); r != 0 {
		fail("mprotect read: %s", mm.ErrnoName(r))
	}
	for k := 0; k < 16; k++ {
		if _, r := e.access(page(k), true, 1); r != mm.EFAULT {
			fail("write to read-only page %d: %s, want EFAULT", k, mm.ErrnoName(r))
		}
	}
	expect("read-only", 0, 16, tag)
	// PROT_NONE keeps the frames (held entries) and faults every access.
	if r := sp.Mprotect(page(0), 16*mm.PageSize, mm.ProtNone); r != 0 {
		fail("mprotect none: %s", mm.ErrnoName(r))
	}
	for k := 0; k < 16; k++ {
		if w, r := e.access(page(k), false, 0); r != mm.EFAULT {
			fail("read of PROT_NONE page %d: %#x %s, want EFAULT", k, w, mm.ErrnoName(r))
		}
	}
	if r := sp.Mprotect(page(0), 16*mm.PageSize, mm.ProtRead|mm.ProtWrite); r != 0 {
		fail("mprotect rw: %s", mm.ErrnoName(r))
	}
	expect("back from PROT_NONE", 0, 16, tag)

	// DONTNEED: the pages read as zero afterwards.
	if r := sp.Madvise(page(32), 64*mm.PageSize, mm.MADV_DONTNEED); r != 0 {
		fail("madvise: %s", mm.ErrnoName(r))
	}
	expect("after DONTNEED", 32, 96, func(int) uint64 { return 0 })
	expect("beside DONTNEED", 96, n, tag)

	// munmap: every access faults, and the tables go back.
	if r := sp.Munmap(res, 64<<20); r != 0 {
		fail("munmap: %s", mm.ErrnoName(r))
	}
	for k := 0; k < n; k++ {
		if w, ok := e.sim.load(uint64(page(k))); ok {
			fail("page %d still readable after munmap (%#x): a stale TLB entry", k, w)
		}
	}
	if got := e.fr.FreeCount(); got != e.free0 {
		fail("after munmap %d frames free, want %d", got, e.free0)
	}

	// Every free frame, the former tables included, becomes a data page.
	avail := e.fr.FreeCount() - 16 // a few for the tables
	a, r := sp.Mmap(0, avail*mm.PageSize, mm.ProtRead|mm.ProtWrite, anon)
	if r != 0 {
		return append(bad, "mmap all: "+mm.ErrnoName(r))
	}
	for k := uint64(0); k < avail; k++ {
		va := a + mm.VAddr(k)*mm.PageSize
		if w, r := e.access(va, false, 0); r != 0 || w != 0 {
			fail("fresh page %d reads %#x (%s)", k, w, mm.ErrnoName(r))
			break
		}
		if _, r := e.access(va, true, uint64(va)); r != 0 {
			fail("fresh page %d: write %s", k, mm.ErrnoName(r))
			break
		}
	}
	if r := sp.Munmap(a, avail*mm.PageSize); r != 0 {
		fail("munmap all: %s", mm.ErrnoName(r))
	}
	if got := e.fr.FreeCount(); got != e.free0 {
		fail("at the end %d frames free, want %d", got, e.free0)
	}
	return append(bad, e.checkFreeFrames()...)
}

// checkFreeFrames checks every frame the allocator holds is what a fresh
// data page must be: not a page table, mapped once (1:1) and writable.
func (e *pvEnv) checkFreeFrames() []string {
	var bad []string
	for p := e.first; p < simPages; p++ {
		if !e.fr.IsFree(mm.PAddr(p.Addr())) {
			continue
		}
		m := e.sim.p2m[p]
		if e.sim.typ[m] != typeWritable || e.sim.cnt[m] != 1 {
			bad = append(bad, fmt.Sprintf("free frame %#x is %v with %d references, want writable with 1 (its 1:1 mapping)", p, e.sim.typ[m], e.sim.cnt[m]))
		}
		if len(bad) > 5 {
			break
		}
	}
	return bad
}

func TestPVWorkload(t *testing.T) {
	e := newPVEnv(nil)
	if bad := e.workload(); len(bad) > 0 {
		t.Fatalf("%d problems:\n%s", len(bad), strings.Join(bad[:min(len(bad), 10)], "\n"))
	}
	if n, pages := e.sp.Stats(); n != 0 || pages != 0 {
		t.Errorf("Stats = %d regions, %d pages", n, pages)
	}
	t.Logf("%+v; sim: %+v", e.pt.Stats, e.sim.calls)
}

// wrongPhys is PageTables with one step left out or done wrong, to show
// that the sim and the workload catch each mistake.
type wrongPhys struct {
	*PageTables
	mistake string
}

func (w wrongPhys) NewTable(p mm.PAddr) {
	if w.mistake != "table left writable" {
		w.PageTables.NewTable(p)
	}
}

func (w wrongPhys) FreeTable(p mm.PAddr) {
	if w.mistake != "freed table left read-only" {
		w.PageTables.FreeTable(p)
	}
}

func (w wrongPhys) Invlpg(va mm.VAddr) {
	if w.mistake != "no INVLPG" {
		w.PageTables.Invlpg(va)
	}
}

func (w wrongPhys) Entry(table mm.PAddr, i uint64) uint64 {
	if w.mistake == "stale reads" {
		return w.toMM(w.m.Entry(PFN(table>>12), i))
	}
	return w.PageTables.Entry(table, i)
}

func (w wrongPhys) SetEntry(table mm.PAddr, i, e uint64) {
	p := PFN(table >> 12)
	m, _ := w.p2m.MFN(p)
	switch {
	case w.mistake == "PFN in entries":
		w.queue(m, p, i, e)
	case w.mistake == "held entry keeps its address" && e&mm.PTEPresent == 0:
		w.queue(m, p, i, e)
	default:
		w.PageTables.SetEntry(table, i, e)
	}
}

// Each mistake a backend could make is caught: first the workload against
// every wrong backend (each must fail, with the symptom named), then
// against the right one (TestPVWorkload).
func TestPVWrongBackends(t *testing.T) {
	for _, tc := range []struct{ mistake, symptom string }{
		{"table left writable", "in use as writable"},
		{"freed table left read-only", "page fault writing its 1:1 mapping"},
		{"no INVLPG", "stale TLB entry"},
		{"stale reads", "frames free, want"},
		{"PFN in entries", "not the domain's"},
		{"held entry keeps its address", "L1TF"},
	} {
		t.Run(tc.mistake, func(t *testing.T) {
			e := newPVEnv(func(pt *PageTables) mm.Phys { return wrongPhys{pt, tc.mistake} })
			bad := e.workload()
			if len(bad) == 0 {
				t.Fatalf("a backend with %q passed the workload", tc.mistake)
			}
			all := strings.Join(bad, "\n")
			if !strings.Contains(all, tc.symptom) {
				t.Fatalf("%q: no %q among %d problems:\n%s", tc.mistake, tc.symptom, len(bad), strings.Join(bad[:min(len(bad), 8)], "\n"))
			}
			if strings.Contains(all, "refused") && !strings.Contains(all, "Fatal: pv page tables: mmu_update = -22 after ") {
				t.Errorf("a refused request was not reported with Fatal:\n%s", all)
			}
			t.Logf("caught: %s", bad[0])
		})
	}
}

// The sim's rules, each shown on a request Xen refuses.
func TestXenSimRules(t *testing.T) {
	s := newXenSim(1024, 3000)
	l4, next := s.build(simTables)
	mfn := func(p PFN) uint64 { return uint64(s.p2m[p]) << 12 }
	l1 := l4 + 3 // the builder's first L1: maps frames 0-511
	l2 := l4 + 2
	data, spare := next+1, next+2
	foreign := uint64(1)
	for s.mine(MFN(foreign)) {
		foreign++
	}
	req := func(table PFN, i, val uint64) hypercall.MMUUpdate {
		return hypercall.MMUUpdate{Ptr: mfn(table) + i*8, Val: val}
	}
	for _, tc := range []struct {
		name string
		reqs []hypercall.MMUUpdate
		want string // "" = accepted
	}{
		{"a read-only mapping of a table", []hypercall.MMUUpdate{req(l1, 500, mfn(l1)|pteP)}, ""},
		{"a writable mapping of a table", []hypercall.MMUUpdate{req(l1, 500, mfn(l1)|pteP|pteRW)}, "writable mapping of frame"},
		{"a table with a writable mapping", []hypercall.MMUUpdate{req(l2, 5, mfn(data)|pteP|pteRW)}, "in use as writable"},
		{"a table made read-only first", []hypercall.MMUUpdate{req(l1, uint64(spare), mfn(spare)|pteP), req(l2, 5, mfn(spare)|pteP|pteRW)}, ""},
		{"a 2 MiB page", []hypercall.MMUUpdate{req(l2, 6, mfn(512)|pteP|pteRW|ptePSE)}, "PSE"},
		{"another domain's frame", []hypercall.MMUUpdate{req(l1, 501, foreign<<12|pteP|pteRW)}, "not the domain's"},
		{"a PFN for an MFN", []hypercall.MMUUpdate{req(l1, 501, uint64(PFN(900).Addr())|pteP)}, "not the domain's"},
		{"cache-disable", []hypercall.MMUUpdate{req(l1, 501, mfn(data)|pteP|ptePCD)}, "not allowed"},
		{"a non-present entry with a RAM address", []hypercall.MMUUpdate{req(l1, 502, mfn(data)|1<<9)}, "L1TF"},
		{"a non-present entry with an inverted address", []hypercall.MMUUpdate{req(l1, 502, ^mfn(data)&addrMask|1<<9)}, ""},
	} {
		done, rc := s.MMUUpdate(tc.reqs)
		got := ""
		if len(s.problems) > 0 {
			got = s.problems[len(s.problems)-1]
			s.problems = nil
		}
		switch {
		case tc.want == "" && (rc != 0 || done != len(tc.reqs)):
			t.Errorf("%s: refused: %s", tc.name, got)
		case tc.want != "" && (rc == 0 || !strings.Contains(got, tc.want)):
			t.Errorf("%s: rc %d, %q; want refused with %q", tc.name, rc, got, tc.want)
		default:
			t.Logf("%s: rc %d %s", tc.name, rc, got)
		}
	}

	// The TLB keeps a translation until INVLPG.
	va := uint64(data.Addr())
	if !s.store(va, 42) {
		t.Fatal("store through the 1:1 map faulted")
	}
	if _, rc := s.MMUUpdate([]hypercall.MMUUpdate{req(l1, uint64(data), 0)}); rc != 0 {
		t.Fatal(s.problems)
	}
	if w, ok := s.load(va); !ok || w != 42 {
		t.Fatalf("a stale TLB entry should still translate: %d %v", w, ok)
	}
	s.MMUExtOp([]hypercall.MMUExtOp{{Cmd: hypercall.MMUEXT_INVLPG_LOCAL, Arg1: va}})
	if _, ok := s.load(va); ok {
		t.Fatal("load after unmap and INVLPG succeeded")
	}
}

// TestPVHypercalls counts the hypercalls of common operations: they are
// batched, not one per page.
func TestPVHypercalls(t *testing.T) {
	e := newPVEnv(nil)
	sp := e.sp
	a, r := sp.Mmap(0, 64*mm.PageSize, mm.ProtRead|mm.ProtWrite, anon)
	if r != 0 {
		t.Fatal(mm.ErrnoName(r))
	}
	type count struct{ mmu, reqs, ext, ops int }
	measure := func(what string, max count, fn func()) {
		t.Helper()
		before := e.sim.calls
		fn()
		c := e.sim.calls
		got := count{c.mmu - before.mmu, c.reqs - before.reqs, c.ext - before.ext, c.ops - before.ops}
		t.Logf("%-36s %d mmu_update (%d requests), %d mmuext_op (%d ops)", what+":", got.mmu, got.reqs, got.ext, got.ops)
		if got.mmu > max.mmu || got.ext > max.ext {
			t.Errorf("%s: %d mmu_update and %d mmuext_op calls, want at most %d and %d", what, got.mmu, got.ext, max.mmu, max.ext)
		}
		if len(e.sim.problems) > 0 {
			t.Fatalf("%s: %s", what, e.sim.problems)
		}
	}
	measure("first fault (2 new tables)", count{mmu: 1}, func() { e.access(a, true, 1) })
	measure("fault", count{mmu: 1}, func() { e.access(a+mm.PageSize, true, 1) })
	for k := 2; k < 64; k++ {
		e.access(a+mm.VAddr(k)*mm.PageSize, true, 1)
	}
	measure("mprotect 64 present pages", count{mmu: 1, ext: 1}, func() { sp.Mprotect(a, 64*mm.PageSize, mm.ProtRead) })
	measure("mprotect 1 present page", count{mmu: 1, ext: 1}, func() { sp.Mprotect(a, mm.PageSize, mm.ProtNone) })
	measure("madvise DONTNEED 16 pages", count{mmu: 1, ext: 1}, func() { sp.Madvise(a+16*mm.PageSize, 16*mm.PageSize, mm.MADV_DONTNEED) })
	measure("munmap 48 present pages, 2 tables", count{mmu: 3, ext: 1}, func() { sp.Munmap(a, 64*mm.PageSize) })
	measure("munmap of nothing", count{}, func() { sp.Munmap(a, 64*mm.PageSize) })
}

// The backend runs in the kernel's page-fault and mmap paths: no heap.
func TestPVNoAllocs(t *testing.T) {
	e := newPVEnv(nil)
	sp := e.sp
	res, _ := sp.Mmap(0, 64<<20, mm.ProtNone, anon)
	faults := 0
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"commit, touch, protect, scavenge, release", func() {
			a, _ := sp.Mmap(res+8<<20, 1<<20, mm.ProtRead|mm.ProtWrite, anon|mm.MAP_FIXED)
			for va := a; va < a+1<<20; va += 64 << 10 {
				if sp.Fault(va, true) == 0 {
					faults++
				}
			}
			sp.Mprotect(a, 1<<20, mm.ProtNone)
			sp.Mprotect(a, 1<<20, mm.ProtRead)
			sp.Madvise(a, 1<<20, mm.MADV_DONTNEED)
			sp.Fault(a, false)
			sp.Munmap(a, 1<<20)
		}},
		{"SetWritable", func() {
			e.pt.SetWritable(e.first, false)
			e.pt.SetWritable(e.first, true)
			e.pt.Flush()
		}},
	} {
		if n := testing.AllocsPerRun(50, tc.fn); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tc.name, n)
		}
	}
	if faults < 50*16 || len(e.sim.problems) > 0 {
		t.Fatalf("%d faults, want %d; problems: %v", faults, 50*16, e.sim.problems)
	}
}

// SetWritable changes one 1:1 mapping, and invalidates it.
func TestPVSetWritable(t *testing.T) {
	e := newPVEnv(nil)
	va := uint64(e.first.Addr())
	if !e.sim.store(va, 7) {
		t.Fatal("store before")
	}
	e.pt.SetWritable(e.first, false)
	e.pt.SetWritable(e.first+1, false)
	e.pt.Flush()
	if e.sim.store(va, 8) {
		t.Fatal("store through a read-only 1:1 mapping succeeded (stale TLB entry?)")
	}
	if w, ok := e.sim.load(va); !ok || w != 7 {
		t.Fatalf("load = %d %v", w, ok)
	}
	if e.pt.Stats.MMUUpdateCalls != 1 || e.pt.Stats.MMUUpdateReqs != 2 || e.pt.Stats.MMUExtCalls != 1 {
		t.Errorf("two pages: %+v, want one batch of 2 and one mmuext_op", e.pt.Stats)
	}
	e.pt.SetWritable(e.first, true)
	e.pt.Flush()
	if !e.sim.store(va, 9) || len(e.sim.problems) > 0 {
		t.Fatalf("store after SetWritable(true): %v", e.sim.problems)
	}
}
