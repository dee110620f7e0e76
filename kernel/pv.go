package kernel

import (
	"github.com/goxen/goxen/evtchn"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/pv"
	"github.com/goxen/goxen/pvh"
)

// Classic PV. The same ELF boots as a PV guest (type = "pv"): Xen enters
// pvEntry (named by the XEN_ELFNOTE_ENTRY note) in 64-bit mode with
// start_info in %rsi, and package pv's Entry calls pvBoot.
//
// The one thing PV changes for the Go program is where it runs. Under
// PVH the program and the kernel share ring 0 and the program's SYSCALL
// lands in syscallEntry. A PV guest kernel runs in ring 3, and there a
// SYSCALL from guest-kernel mode is a hypercall (xen/arch/x86/x86_64/
// entry.S: lstar_enter), so the program runs in PV guest-user mode
// instead, as a Linux PV guest's processes do: Xen turns its SYSCALL into
// a switch to guest-kernel mode and a jump to the syscall callback
// (pvSyscallEntry, pvtrap_amd64.s), on the thread's kernel stack, which
// the kernel names with HYPERVISOR_stack_switch at every thread switch
// (setKernelStack). Both modes share one page table (the kernel's L4 is
// also the user base pointer, MMUEXT_NEW_USER_BASEPTR), as XTF's user-mode
// tests do; each switch still costs Xen a CR3 load.
//
// Each crossing, counted in trips through Xen (a bounce into the kernel
// is Xen's work, not a hypercall of ours, but costs one round trip, with
// a page-table switch):
//
//   - a system call: Xen's bounce in, and HYPERVISOR_iret out, with
//     VGCF_in_syscall so that Xen leaves by SYSRET: two. Go's TLS is at
//     -8(FS) on both sides and Xen switches only GS, so the entry puts
//     the kernel's g in the program's TLS slot and the way out puts the
//     program's back, with plain stores (pvtrap_amd64.s: pvEnterFS);
//     only before the runtime has set an FS base (its first few dozen
//     system calls) does each crossing add two
//     HYPERVISOR_set_segment_base.
//   - a fault or an event: the same, with a full IRET.
//   - a thread switch: HYPERVISOR_stack_switch, and one
//     HYPERVISOR_set_segment_base on the way out to the other thread.
//   - Linux as a PV guest pays the same two trips per system call (its
//     kernel uses GS, which Xen switches).
//
// The kernel keeps events masked (the trap table's and the callbacks'
// mask flag) and the iret back to the program unmasks them; so the
// upcall mask replaces CLI/STI and the event callback always finds the
// program interrupted.
//
// Privileged instructions fault in ring 3, so the PV steps use none: page
// tables are written with mmu_update (pv.PageTables), CR2 is read from
// vcpu_info, the FS base is set by hypercall.

// pvEntry is the entry point named by the XEN_ELFNOTE_ENTRY note.
func pvEntry()

// pvEntryAddr returns the address of pvEntry itself.
func pvEntryAddr() uintptr

// pvMode is set when the kernel booted as a PV guest.
var pvMode bool

// pvBootSteps is the PV boot path, in the order the steps run; boot.go's
// bootSteps is PVH's. The steps after "early" mirror PVH's.
var pvBootSteps = [...]bootStep{
	{"early", pv.Early},             // pv: hypercall page, fault reports, start info, shared info, console, nil guard
	{"image", findImagePV},          // image.go: the image's segments (Xen cleared .bss)
	{"tls", keepEarlyTLS},           // trap.go: pvh's TLS block stays the kernel's
	{"report entry", reportPVEntry}, // pv.go
	{"start info", pvStartInfo},     // pv.go: flags and command line, reported
	{"shared info", pvSharedInfo},   // pv.go: pv mapped it
	{"map RAM", pvMapRAM},           // pvmem.go: page tables for the RAM past the bootstrap region
	{"memory", pvInitMemory},        // pvmem.go: the frame allocator, the address space on mmu_update
	{"protect", pvProtectImage},     // pvmem.go: text and rodata read-only
	{"console", pvInitConsole},      // pv.go
	{"start of day", startOfDay},    // startofday.go
	{"traps", pvInitTraps},          // pv.go: trap table, event and syscall callbacks, user base pointer
	{"events", pvInitEvents},        // pv.go: the timer VIRQ; no vector
	{"grant table", initGrantTable}, // grants.go: machine frames, mapped by us
	{"xenstore", initXenstore},      // xenbus.go
	{"threads", initThreads},        // sched.go
}

// pvBoot is pv.Entry's continuation.
func pvBoot() {
	pvMode = true
	runSteps(pvBootSteps[:])
}

func findImagePV() { findImage(false) }

func reportPVEntry() {
	klog().s("PV entry, guest-kernel mode, hypercall page at ").hex(uint64(hypercall.Page())).print()
}

// pvStartInfo gives the kernel's start info what the rest of it reads
// (flags, command line) from PV's start_info, and reports it.
func pvStartInfo() {
	p := &pv.StartInfo
	si.Flags = p.Flags
	si.Cmdline = p.Cmdline
	si.CmdlineLen = p.CmdlineLen
	var b [2048]byte
	kwrite(p.Format(b[:0]))
}

func pvSharedInfo() { shared = pvh.Shared() }

// pvInitConsole keeps the console ring's event channel among the ports an
// idle vCPU waits on; pv.Early found the console.
func pvInitConsole() {
	pvh.SetConsoleWait(waitConsoleRing)
	if _, port, ok := pvh.ConsoleRing(); ok {
		consolePort = port
		addIdlePort(port)
	}
}

// pvVectors are the vectors of pvVectorTable's stubs (pvtrap_amd64.s),
// pv's trap table's: every architectural exception but NMI and 15.
var pvVectors = [...]uint8{0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19}

func pvVectorTable() *[len(pvVectors)]uintptr

//go:noescape
func pvEntryAddrs(syscall, event, fork *uintptr)

func pvEnterRuntime(sp, entry uintptr)

var (
	pvTraps     [len(pvVectors) + 1]hypercall.TrapInfo // ends with a zero entry
	pvForkAddr  uintptr
	pvFSLoads   uint64 // set_segment_base(FS) calls by the entries
	pvUserL4MFN uint64
)

// pvInitTraps replaces package pv's reporting trap table with the
// kernel's, registers the event and syscall callbacks and makes the
// kernel's L4 the user-mode base pointer too.
func pvInitTraps() {
	vecs := pvVectorTable()
	for i, v := range pvVectors {
		// Flags: 4 masks events on entry (TI_SET_IF's complement,
		// xen/include/public/arch-x86/xen.h: struct trap_info); the DPL
		// (low two bits) lets the program raise #BP and #OF with INT3 and
		// INTO, as Linux's IDT does; every other vector only by a fault.
		flags := uint8(4)
		if v == 3 || v == 4 {
			flags |= 3
		}
		// kernel:nopanic i < len(pvVectors) < len(pvTraps), and vecs has len(pvVectors) entries
		pvTraps[i] = hypercall.TrapInfo{Vector: v, Flags: flags, CS: hypercall.FLAT_KERNEL_CS, Address: uint64(vecs[i])}
	}
	if rc := hypercall.SetTrapTable(pvTraps[:]); rc != 0 {
		pvFatal("set_trap_table = ", rc)
	}
	var sys, ev uintptr
	pvEntryAddrs(&sys, &ev, &pvForkAddr)
	if rc := hypercall.RegisterCallback(hypercall.CALLBACKTYPE_event, hypercall.CALLBACKF_mask_events, ev); rc != 0 {
		pvFatal("callback_op(register event) = ", rc)
	}
	if rc := hypercall.RegisterCallback(hypercall.CALLBACKTYPE_syscall, hypercall.CALLBACKF_mask_events, sys); rc != 0 {
		pvFatal("callback_op(register syscall) = ", rc)
	}
	// Returning to user mode needs a user page table, or Xen crashes the
	// domain (xen/arch/x86/pv/iret.c); the program's is the kernel's.
	l4, ok := pv.P2MTable().MFN(pv.PFN(pv.StartInfo.PTBase >> 12))
	if !ok {
		pvFatal("pt_base outside the P2M: ", int(pv.StartInfo.PTBase))
	}
	pvUserL4MFN = uint64(l4)
	op := [1]hypercall.MMUExtOp{{Cmd: hypercall.MMUEXT_NEW_USER_BASEPTR, Arg1: uint64(l4)}}
	if _, rc := hypercall.MMUExtOpBatch(op[:]); rc != 0 {
		pvFatal("mmuext_op(NEW_USER_BASEPTR) = ", rc)
	}
}

// pvInitEvents binds the timer. The PVH upcall vector has no PV
// counterpart: the event callback (pvInitTraps) is it, and the events
// stay masked in kernel code.
func pvInitEvents() {
	initTimerVIRQ()
	if consoleRingOn() {
		evtchn.Unmask(consolePort)
	}
}

// setKernelStack names the stack Xen switches to when the program enters
// the kernel (PV), for the thread whose kernel stack ends at top.
func setKernelStack(top uintptr) {
	if pvMode {
		if rc := hypercall.StackSwitch(hypercall.FLAT_KERNEL_SS, top); rc != 0 {
			pvFatal("stack_switch = ", rc)
		}
	}
}

// faultAddr is the address of the page fault being handled: CR2 under
// PVH; under PV, which cannot read CR2, the copy Xen leaves in vcpu_info.
func faultAddr() uint64 {
	if pvMode {
		return shared.VcpuInfo[0].Arch.CR2
	}
	return readCR2()
}

// pageTableRoot is what CR3 holds, for reports: under PV (which cannot
// read CR3) the machine address of the L4.
func pageTableRoot() uint64 {
	if pvMode {
		return pvUserL4MFN << 12
	}
	return readCR3()
}

// pvFatal reports a refused hypercall and crashes the domain.
func pvFatal(what string, rc int) {
	klog().s("fatal: PV: ").s(what).dec(int64(rc)).fatal()
}

// pvStorePage finds xenstore's ring: start_info names its machine frame
// and event channel (PV has no HVM params). The builder put the page in
// the bootstrap region, so its pseudo-physical frame is its address.
func pvStorePage() (pfn, port uint64, page uintptr, ok bool) {
	p, found := pv.PFNOf(pv.M2PTable(), pv.P2MTable(), pv.MFN(pv.StartInfo.StoreMFN))
	return uint64(p), uint64(pv.StartInfo.StoreEvtchn), p.Addr(), found && p != 0
}

// Hypercalls from the program. Under PVH the Go program runs at ring 0,
// and code of ours that runs in it (package kernel's init, the smoke
// test, packages evtchn and gnttab) calls Xen through the hypercall page
// directly. In PV guest-user mode the page's SYSCALL is not a hypercall:
// Xen bounces it to the syscall callback like any system call, with the
// hypercall's number in RAX. The return address tells the two apart: a
// SYSCALL that returns into the hypercall page came from a stub there, so
// the kernel makes the call on the program's behalf, with its arguments
// (RDI, RSI, RDX, R10, R8: xen/include/public/arch-x86/xen-x86_64.h) and
// its pointers, which are valid in guest-kernel mode too (one page
// table). The ones that would take the kernel's own state from it are
// refused with -EPERM, as Linux's privcmd refuses them to a process.
var pvKernelOnlyHypercalls = [...]struct {
	nr  uintptr
	why string
}{
	{hypercall.HYPERVISOR_set_trap_table, "the kernel's trap table"},
	{hypercall.HYPERVISOR_mmu_update, "page tables are the kernel's"},
	{hypercall.HYPERVISOR_set_gdt, "the kernel's descriptors"},
	{hypercall.HYPERVISOR_stack_switch, "the kernel's stacks"},
	{hypercall.HYPERVISOR_set_callbacks, "the kernel's entries"},
	{hypercall.HYPERVISOR_fpu_taskswitch, "the FPU state the kernel saves"},
	{hypercall.HYPERVISOR_update_descriptor, "the kernel's descriptors"},
	{hypercall.HYPERVISOR_multicall, "could hold any of these"},
	{hypercall.HYPERVISOR_update_va_mapping, "page tables are the kernel's"},
	{hypercall.HYPERVISOR_vm_assist, "changes how the kernel's page tables work"},
	{hypercall.HYPERVISOR_iret, "only the kernel returns to the program"},
	{hypercall.HYPERVISOR_set_segment_base, "FS is set with arch_prctl"},
	{hypercall.HYPERVISOR_mmuext_op, "page tables are the kernel's"},
	{hypercall.HYPERVISOR_callback_op, "the kernel's entries"},
}

// pvProgramHypercall makes the hypercall the program asked for, if the
// system call in f came from the hypercall page, and reports whether it
// did; f.rax gets Xen's result.
func pvProgramHypercall(f *frame) bool {
	page := uint64(hypercall.Page())
	if !pvMode || page == 0 || f.rcx < page || f.rcx >= page+hypercall.PageSize {
		return false
	}
	counts.hypercalls++
	nr := uintptr(f.rax)
	for _, k := range pvKernelOnlyHypercalls {
		if k.nr == nr {
			e := -int64(hypercall.EPERM)
			f.rax = uint64(e)
			return true
		}
	}
	f.rax = uint64(hypercall.Call(nr, uintptr(f.rdi), uintptr(f.rsi), uintptr(f.rdx), uintptr(f.r10), uintptr(f.r8)))
	return true
}

// pvGiveBackSlot puts the program's word back at f.fs-8, if pvEnterFS
// set it aside, before the FS base changes (arch_prctl): the way out
// restores the slot of the FS base it leaves with.
func pvGiveBackSlot(f *frame) {
	if !pvMode || f.slot == 0 {
		return
	}
	writeUser(uintptr(f.fs-8), f.slot&^1)
	f.slot = 0
}

// pvSlotLimit is where pvEnterFS stops trusting an FS base as the
// program's TLS: userHi.
var pvSlotLimit = uint64(userHi)

func pvSlotSwapAddrs() (swap, fail uintptr)

// pvSlotFault resumes pvSlotSwap's caller as if the slot were unusable
// when reading or writing it faulted (an FS base the program set to
// memory it cannot write, which Go never does): the entry then loads the
// kernel's FS base with a hypercall instead. It reports whether f was
// such a fault.
func pvSlotFault(f *trapFrame) bool {
	if !pvMode {
		return false
	}
	swap, fail := pvSlotSwapAddrs()
	if f.rip < uint64(swap) || f.rip >= uint64(fail) {
		return false
	}
	f.rip = uint64(fail)
	return true
}
