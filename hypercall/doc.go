// Package hypercall is how an x86_64 PVH (or HVM) guest talks to Xen.
//
// # What a hypercall is
//
// A hypercall is to Xen what a system call is to an operating system: the
// guest kernel puts a call number and up to five arguments in registers,
// executes an instruction that traps into the hypervisor, and finds the
// result in RAX when Xen resumes it. The number picks the service
// (HYPERVISOR_sched_op, HYPERVISOR_event_channel_op, ...); most services take
// a sub-operation in the first argument (SCHEDOP_shutdown, EVTCHNOP_send,
// ...) and the address of an argument structure in the second. Xen reads
// and writes that structure in guest memory, so its layout must match the C
// headers byte for byte; the structures in this package are tested against
// the offsets in xen/include/public. A negative result is a negated error
// number from xen/include/public/errno.h (Errno, ErrnoName).
//
// Xen's headers spell the call numbers __HYPERVISOR_name. Go does not
// export identifiers that begin with an underscore, so this package drops
// the two leading underscores: HYPERVISOR_console_io is __HYPERVISOR_console_io.
// All other constants keep Xen's exact names.
//
// # The hypercall page
//
// On Intel hardware the trapping instruction is vmcall, on AMD it is
// vmmcall, and the two are not interchangeable. Rather than make every
// guest detect the CPU vendor (and break if it is migrated), Xen writes the
// right code for it: the guest gives Xen a page of its memory, and Xen
// fills it with 128 entry points of 32 bytes, one per call number, each
// "mov $nr, %eax; vmcall (or vmmcall); ret". A hypercall is then an
// ordinary call to page + nr*32. The entry for HYPERVISOR_iret (23), which
// only PV guests have, is ud2 instead. CheckPage compares a
// page byte for byte with those stubs (ExpectedStub) to confirm that Xen
// filled it as expected; it needs no disassembler, so it runs at boot.
//
// # The PV hypercall page
//
// A classic PV guest runs in ring 3 without a hardware container; there
// SYSCALL from guest-kernel mode is the way into Xen. Xen fills the page
// an ELF note (XEN_ELFNOTE_HYPERCALL_PAGE, package linker) names before
// the guest's first instruction, with stubs that save RCX and R11 around
// the SYSCALL (ExpectedPVStub, CheckPVPage), so Call works unchanged. The
// calls only PV guests make (mmu_update, update_va_mapping,
// set_trap_table, callback_op, set_segment_base) are in pv.go and
// calls_amd64.go.
//
// # Finding Xen: the CPUID leaves
//
// Xen announces itself through CPUID leaves above 0x40000000. The base leaf
// returns the signature "XenVMMXenVMM" in EBX, ECX, EDX and the highest Xen
// leaf in EAX. The base is usually 0x40000000 but moves to 0x40000100 when
// Xen also pretends to be Hyper-V (Viridian) for Windows guests, so Discover
// scans in steps of 0x100. Base+1 gives the Xen version; base+2 gives the
// number of hypercall pages and the MSR through which the guest asks for
// one: writing a page's physical address to that MSR makes Xen fill the
// page (InstallPage). Base+3 describes the TSC, including its frequency in
// kHz.
//
// A classic PV guest's plain CPUID is the host's, without these leaves: it
// reads them with Xen's forced-emulation prefix (PVCPUID, which Discover
// takes in place of CPUID).
//
// # Calling convention
//
// Call places its arguments in RDI, RSI, RDX, R10 and R8 (the Linux system
// call registers, with R10 standing in for RCX, which the call instruction
// cannot preserve), calls page + nr*32, and returns RAX. Xen may clobber
// the argument registers. The typed wrappers (ConsoleWrite, EvtchnSend,
// HVMGetParam, ...) build their argument structures on the stack and are
// NOSPLIT, so they allocate nothing and can run before the Go runtime is
// up or inside a trap handler. Hypercalls must be made at CPL 0; from user
// mode an HVM guest gets -EPERM.
//
// The shared info page and the pvclock it holds are package sharedinfo.
package hypercall
