//go:build amd64

package pv

import (
	"unsafe"

	"github.com/goxen/goxen/console"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/internal/numfmt"
	"github.com/goxen/goxen/pvh"
	"github.com/goxen/goxen/startinfo"
)

// The steps below run on pvh's early stack, before any Go runtime exists,
// in the order Early runs them: no heap, no panics, no write barriers.
// Their results are package variables.

var (
	// StartInfo is the start_info Xen passed in %rsi, decoded.
	StartInfo startinfo.PV
	p2m       P2M // start_info.mfn_list
	m2p       M2P // Xen's read-only M2P

	trapTable [len(trapVectors) + 1]hypercall.TrapInfo // ends with a zero entry
	inTrap    bool

	reqBuf [2 * 128]hypercall.MMUUpdate // one batch: 2 requests per new table
	mapped MapPlan                      // what MapRAM mapped
)

// Early runs the steps every PV flavour starts with: output to Xen's log
// instead of port 0xe9, the hypercall page, the trap table, start info,
// shared info, the console and the nil guard.
func Early() {
	pvh.SetDebugSink("Xen's log (console_io)", writeXenLog)
	CheckHypercallPage()
	InstallTraps()
	ReadStartInfo()
	MapSharedInfo() // before the console: the replay stamps its first byte with the pvclock
	FindConsole()
	GuardLowMemory()
	if hasWord(StartInfo.CmdlineBytes(), DebugFault) {
		*nilPtr = 1 // reported by trap14, the domain crashed
	}
}

// nilPtr is nil; DebugFault stores through it.
var nilPtr *uint64

// writeXenLog is PV's stand-in for port 0xe9: console_io, which puts the
// text in Xen's log on a debug build or from dom0, and which a release
// build refuses a domU (-EPERM): the text is then only on the console.
// Once console_io is the main console (dom0), fatal lines, which go to
// both, would show twice: then it writes nothing.
func writeXenLog(p []byte) {
	if pvh.ConsoleName() != "console_io" {
		hypercall.ConsoleWrite(p)
	}
}

// CheckHypercallPage points package hypercall at the page Xen filled
// because of the XEN_ELFNOTE_HYPERCALL_PAGE note and compares it with the
// stubs Xen writes for a 64-bit PV guest.
func CheckHypercallPage() {
	page := pvh.HypercallPage()
	hypercall.SetPage(page)
	if bad := hypercall.CheckPVPage((*[hypercall.PageSize]byte)(at(page))); bad >= 0 {
		var b [24]byte
		pvh.Fatal("the hypercall page is not Xen's PV stubs (is the HYPERCALL_PAGE note missing?), at slot ", numfmt.AppendInt(b[:0], int64(bad)))
	}
}

// InstallTraps gives Xen the trap table and the event and failsafe
// callbacks: from here on a fault is reported, not a silent crash.
func InstallTraps() {
	var addrs [len(trapVectors)]uint64
	var event, failsafe uint64
	trapAddrs(&addrs, &event, &failsafe)
	for i, v := range trapVectors {
		// Flags 4: mask events on entry (xen/include/public/arch-x86/xen.h:
		// TI_GET_IF); DPL 0: INT n from the guest kernel only.
		trapTable[i] = hypercall.TrapInfo{Vector: v, Flags: 4, CS: hypercall.FLAT_KERNEL_CS, Address: addrs[i]}
	}
	if rc := hypercall.SetTrapTable(trapTable[:]); rc != 0 {
		fatalRC("set_trap_table = ", rc)
	}
	if rc := hypercall.RegisterCallback(hypercall.CALLBACKTYPE_event, hypercall.CALLBACKF_mask_events, uintptr(event)); rc != 0 {
		fatalRC("callback_op(register event) = ", rc)
	}
	if rc := hypercall.RegisterCallback(hypercall.CALLBACKTYPE_failsafe, hypercall.CALLBACKF_mask_events, uintptr(failsafe)); rc != 0 {
		fatalRC("callback_op(register failsafe) = ", rc)
	}
}

// trap is trapCommon's Go half: report and crash. A trap while reporting
// one crashes at once.
func trap(vector, hasErr, frame uintptr) {
	if inTrap {
		crash()
	}
	inTrap = true
	n := frameWords(uint64(vector), hasErr != 0)
	t := decodeFrame(uint64(vector), hasErr != 0, unsafe.Slice((*uint64)(at(frame)), n))
	if s := pvh.Shared(); s != nil {
		t.CR2, t.HaveCR2 = s.VcpuInfo[0].Arch.CR2, true
	}
	var b [192]byte
	pvh.Fatal("", t.Append(b[:0]))
}

// ReadStartInfo decodes start_info (at the virtual address in %rsi, which
// the bootstrap region maps 1:1 like PVH's identity map, so pvh.PhysMem
// reads it) and finds the P2M and the M2P.
func ReadStartInfo() {
	if err := StartInfo.Decode(pvh.PhysMem{}, startInfoVA); err != nil {
		var b [256]byte
		pvh.Fatal("bad PV start info: ", StartInfo.Err.Append(b[:0]))
	}
	si := &StartInfo
	if si.NrPages == 0 || si.NrPages > 1<<40 || si.MFNList == 0 || si.MFNList%8 != 0 || si.MFNList+si.NrPages*8 > si.NrPages<<12 {
		var b [48]byte
		pvh.Fatal("PV start info: mfn_list outside the bootstrap region: ", numfmt.AppendHex64(b[:0], si.MFNList))
	}
	p2m = unsafe.Slice((*MFN)(at(uintptr(si.MFNList))), si.NrPages)
	maxMFN := hypercall.MaximumRAMPage()
	if maxMFN <= 0 {
		fatalRC("XENMEM_maximum_ram_page = ", maxMFN)
	}
	// max_page: one more than the highest machine frame (xen/common/memory.c).
	m2p = unsafe.Slice((*PFN)(at(hypercall.MACH2PHYS_VIRT_START)), maxMFN)
}

// P2MTable and M2PTable are the tables ReadStartInfo found.
func P2MTable() P2M { return p2m }
func M2PTable() M2P { return m2p }

// FindConsole picks the main console: console_io for dom0, else the ring
// on the page start_info.console.domU names by machine frame; the builder
// put it in the bootstrap region, so its pseudo-physical frame, through
// the M2P, is also its address. The boot messages so far are replayed.
func FindConsole() {
	si := &StartInfo
	if si.Flags&startinfo.SIF_INITDOMAIN != 0 {
		pvh.UseConsoleIO()
		return
	}
	pfn, ok := PFNOf(m2p, p2m, MFN(si.ConsoleMFN))
	if !ok || pfn.Addr() == 0 {
		var b [96]byte
		m := append(b[:0], "goxen: no console ring (console.domU.mfn "...)
		m = numfmt.AppendHex64(m, si.ConsoleMFN)
		m = append(m, " is not ours): output stays in Xen's log\n"...)
		pvh.Write(m)
		return
	}
	pvh.UseConsoleRing((*console.Interface)(at(pfn.Addr())), si.ConsoleEvtchn, uint64(pfn))
}

// MapSharedInfo maps the shared info page, whose machine address
// start_info gives (Xen does not map it: XTF and Mini-OS map it the same
// way), over package pvh's page for it with update_va_mapping. The page
// that was there is left unused.
func MapSharedInfo() {
	va := pvh.SharedInfoPage()
	pte := StartInfo.SharedInfo&^0xfff | leafFlags
	if rc := hypercall.UpdateVAMapping(va, pte, hypercall.UVMF_INVLPG|hypercall.UVMF_LOCAL); rc != 0 {
		fatalRC("update_va_mapping(shared info) = ", rc)
	}
	pvh.UseSharedInfo(va)
}

// GuardLowMemory unmaps the first 64 KiB, which the bootstrap maps like
// all of [0, bootstrap end): a nil dereference then faults, as under the
// stock kernel's PVH guard (Linux's mmap_min_addr).
func GuardLowMemory() {
	for va := uintptr(0); va < 64<<10; va += 4096 {
		if rc := hypercall.UpdateVAMapping(va, 0, hypercall.UVMF_INVLPG|hypercall.UVMF_LOCAL); rc != 0 {
			fatalRC("update_va_mapping(nil guard) = ", rc)
		}
	}
}

// fatalRC is pvh.Fatal with a hypercall's result.
func fatalRC(msg string, rc int) {
	var b [24]byte
	pvh.Fatal(msg, numfmt.AppendInt(b[:0], int64(rc)))
}

// bootTables are the bootstrap L2 (the first GiB) and its frame, found by
// walking from pt_base: L4[0] and L3[0] (xen/include/public/xen.h: pt_base
// is the virtual address of the L4; page-table pages are mapped read-only,
// so they can be read).
func bootTables() (l2 *[ptesPerTable]uint64, l2MFN MFN) {
	l4 := (*[ptesPerTable]uint64)(at(uintptr(StartInfo.PTBase)))
	l3 := (*[ptesPerTable]uint64)(at(tableVA(l4[0], "L4[0]")))
	l2MFN = MFN(l3[0] & pteAddrMask >> 12)
	return (*[ptesPerTable]uint64)(at(tableVA(l3[0], "L3[0]"))), l2MFN
}

// pteAddrMask is the frame address of an entry (bits 12-51).
const pteAddrMask = 0x000ffffffffff000

// tableVA is the address of the table an entry points to.
func tableVA(e uint64, what string) uintptr {
	pfn, ok := PFNOf(m2p, p2m, MFN(e&pteAddrMask>>12))
	if e&hypercall.PTE_P == 0 || !ok {
		var b [24]byte
		pvh.Fatal("bootstrap page tables: no table behind "+what+" = ", numfmt.AppendHex64(b[:0], e))
	}
	return pfn.Addr()
}

// bootL2 is the bootstrap L2, for bootL1.
var bootL2 *[ptesPerTable]uint64

// bootL1 is the bootstrap L1 table that maps frame f.
func bootL1(f PFN) (MFN, bool) {
	e := bootL2[f/ptesPerTable]
	return MFN(e & pteAddrMask >> 12), e&hypercall.PTE_P != 0
}

// MapRAM maps the frames past the bootstrap region, up to nr_pages or
// MaxMapped (plan.go), and returns the plan it carried out: RAM is mapped
// up to plan.To, and frames [plan.Tables, plan.Tables+plan.NTables) are
// page tables now, read-only, for no one else to use.
func MapRAM() MapPlan {
	l2, l2MFN := bootTables()
	bootL2 = l2
	end := 0
	for end < ptesPerTable && l2[end]&hypercall.PTE_P != 0 {
		end++
	}
	ptPFN := PFN(StartInfo.PTBase >> 12)
	free := ptPFN + PFN(StartInfo.NrPTFrames) + 1 // after the tables and the boot stack
	plan, perr := PlanMapping(PFN(end)*ptesPerTable, PFN(StartInfo.NrPages), free)
	if !perr.OK() {
		var b [128]byte
		pvh.Fatal("mapping RAM: ", perr.Append(b[:0]))
	}
	for i := 0; i < plan.NTables; i++ {
		t, _ := plan.Table(i)
		if !plan.FillTable((*[ptesPerTable]uint64)(at(t.Addr())), i, p2m) {
			fatalRC("mapping RAM: no MFN for a frame of table ", i)
		}
	}
	const perBatch = len(reqBuf) / 2
	for i := 0; i < plan.NTables; i += perBatch {
		reqs, ok := plan.Requests(reqBuf[:0], i, i+perBatch, p2m, bootL1, l2MFN)
		if !ok {
			fatalRC("mapping RAM: no bootstrap L1 for table ", i)
		}
		if done, rc := hypercall.MMUUpdateBatch(reqs); rc != 0 {
			var b [64]byte
			m := numfmt.AppendInt(b[:0], int64(rc))
			m = append(m, " after "...)
			m = numfmt.AppendInt(m, int64(done))
			pvh.Fatal("mapping RAM: mmu_update = ", m)
		}
	}
	mapped = plan
	if plan.Capped {
		var b [160]byte
		m := append(b[:0], "goxen: PV: RAM mapped up to "...)
		m = numfmt.AppendInt(m, int64(plan.To>>8))
		m = append(m, " MiB of "...)
		m = numfmt.AppendInt(m, int64(StartInfo.NrPages>>8))
		m = append(m, " MiB: part 1 maps the first GiB at most, with the tables the padding holds\n"...)
		pvh.Write(m)
	}
	return plan
}

// EmulateArchPrctlFS makes the page-fault handler repair the one fault a
// runtime written for Linux makes when it asks for its FS base with
// arch_prctl from CPL 3 (TamaGo's settls; see trap14 in entry_amd64.s):
// the FS base is set as asked and the runtime goes on. Every other fault
// is still reported.
func EmulateArchPrctlFS() { archPrctlFS = 1 }
