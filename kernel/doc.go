// Package kernel turns an ordinary Go program into a Xen PVH or classic PV
// guest kernel.
//
// A main package imports this package for its side effects and is built
// with the stock Go toolchain (GOOS=linux GOARCH=amd64 CGO_ENABLED=0,
// linked at 0x101000: package linker's LDFlags and BuildEnv); `goxen
// build` (or `make kernel`, which runs it) then adds Xen's ELF notes. The Go runtime is not modified: the kernel gives it,
// inside the guest, what a Linux kernel would: a process stack, threads,
// memory and the handful of system calls the runtime makes.
//
// # The boot path
//
// Read boot.go top-down: boot lists the steps in the order they happen,
// each in a file named for what it does. The steps that do not depend on
// which Go runtime runs on top are package pvh's, shared with the TamaGo
// board (tamago/xenpvh).
//
//  1. PVH entry. Xen jumps to the address in the XEN_ELFNOTE_PHYS32_ENTRY
//     note, pvhEntry (entry_amd64.s), in 32-bit flat mode, paging off,
//     %ebx pointing at struct hvm_start_info, no stack. pvhEntry borrows
//     a word of the start info as a stack and calls pvh.Entry, which
//     identity-maps 0-4 GiB with 2 MiB pages, loads a GDT, enters long
//     mode and returns to pvhEntry's 64-bit half on an early stack; that
//     calls boot.
//  2. The image. boot clears .bss (zeroBSS, image.go, which finds the
//     kernel's own ELF header just below the text), all but pvh's early
//     page tables and stack, which are in use, and keeps pvh's TLS block
//     as the kernel's.
//  3. Hypercall page. Xen's CPUID leaves (0x40000000...) name an MSR;
//     writing a page address to it makes Xen fill the page with one
//     32-byte stub per hypercall (vmcall or vmmcall, whichever this CPU
//     needs). pvh.InstallHypercallPage compares every stub, byte for
//     byte, with what Xen writes.
//  4. Traps. The kernel's GDT, a TSS whose IST stacks catch faults, and
//     the IDT (trap.go): from here a fault prints registers, not a triple
//     fault.
//  5. Start info. pvh.ReadStartInfo copies and checks it (package
//     startinfo). A version 0 start info (Xen gives one to a PVH dom0)
//     has no memory map: pvh asks XENMEM_memory_map instead.
//  6. Shared info. XENMEM_add_to_physmap puts Xen's shared info page over
//     a page of the image (pvh.MapSharedInfo): event channel bitmaps and
//     the pvclock. Upcalls stay masked until step 9.
//  7. Memory. RAM above 64 KiB, minus the image, goes to the frame
//     allocator (mem.go, package kernel/mm); the first 64 KiB are unmapped to
//     catch nil dereferences and the image's text and read-only data are
//     made read-only (protect.go).
//  8. Console. pvh.FindConsole: a domU reads HVM_PARAM_CONSOLE_PFN/_EVTCHN
//     and writes the ring (package console); dom0 has no ring and uses
//     console_io. Port 0xe9, copied into Xen's log, carries everything
//     before that (replayed on the console) and every fatal message; a
//     console that fails moves output to port 0xe9 for good.
//  9. Events, grant table and xenstore. The upcall vector and VIRQ_TIMER
//     (events.go). The grant table's frames are mapped in a hole of the
//     memory map (grants.go). A domU connects to xenstore through
//     HVM_PARAM_STORE_PFN/_EVTCHN, reads its name and domid, advertises
//     poweroff and reboot and watches control/shutdown (xenbus.go,
//     control.go; the connection, a pump that never waits, is xsconn.go);
//     a PVH dom0 has no xenstore and says so.
//  10. The Go runtime. Like a Linux kernel starting a process (process.go),
//     boot builds a stack with argc, argv, envp and auxv (AT_PAGESZ,
//     AT_RANDOM) and jumps to the ELF entry point, _rt0_amd64_linux.
//
// # Running the Go runtime at ring 0
//
// Everything runs at ring 0: hypercalls from any other ring fail. The
// runtime's SYSCALL instructions land in syscallEntry, which moves to the
// thread's kernel stack, saves the registers and FPU state and calls
// dispatch (syscall.go). Kernel Go code finds its g at -8(FS) like all Go
// code, so entries point FS at the kernel's own TLS block, whose g has a
// zero stack guard, and restore the thread's FS on the way out. Return is
// not SYSRET (that would drop to ring 3) but POPFQ and a jump.
//
// Kernel code that runs in a system call or a fault must not allocate,
// panic, or store Go pointers (no write barriers without a P): state is
// kept in fixed arrays of plain integers. A host test walks the call
// graph from every kernel entry for all three (writebarrier_test.go); a
// bounds check the compiler cannot drop carries a "kernel:nopanic"
// comment that says why it holds. Program memory is reached only through
// copyIn and copyOut (uaccess.go): a bad pointer from the program is
// EFAULT, never a fault in the kernel.
//
// # Threads, memory and time
//
// clone, futex, nanosleep, sched_yield and epoll_pwait drive a small
// scheduler (sched.go): a thread blocks by switching kernel stacks; with
// nothing runnable the vCPU sleeps in Xen with SCHEDOP_poll until the
// earliest deadline or a console event, and never spins. While the
// program runs, interrupts are on: Xen raises event channel upcalls at a
// vector of ours (package evtchn), and VIRQ_TIMER, armed as a one-shot
// for the next 10 ms tick or the earliest sleeper, lets the kernel switch
// threads (events.go), so a goroutine that never makes a system call
// cannot starve sysmon. Kernel code runs with interrupts off; an upcall
// the platform delivers into it anyway (seen under nested emulation) is
// recognised by its context, acknowledged and handled before the next
// return to the program (return.go), so it can neither overwrite a saved
// context nor interrupt the kernel for ever. platform.go gathers what the
// kernel does about the emulated CPU's faults.
//
// # Memory the program cannot touch
//
// The image's text and read-only data are mapped without write
// permission and CR0.WP is set (protect.go), so a write to read-only
// memory faults even at ring 0 and becomes SIGSEGV. The kernel's own
// stacks live in [kernelLo, 2^47), above the program's range, where its
// munmap, madvise and MAP_FIXED cannot reach them (mem.go).
//
// # Signals
//
// The runtime's signal handlers work as on Linux (signal.go): a fault in
// the program (a nil dereference) is delivered as SIGSEGV in a Linux
// rt_sigframe on the thread's sigaltstack, which Go turns into a panic;
// tgkill(SIGURG) from sysmon is delivered the next time the thread
// returns to the program, which is Go's asynchronous preemption.
// rt_sigreturn restores the context (a bad frame, or an MXCSR FXRSTOR
// would refuse, gives SIGSEGV). A signal with no handler takes Linux's
// default action: SIGTERM, SIGINT and the like end the program with exit
// status 128+n; a thread blocked in a system call is woken with EINTR.
// Faults in the kernel itself are not signals: they print the registers
// and crash the domain. mmap, munmap
// and madvise go to package kernel/mm, which maps pages on first touch
// (demand-zero): hello reserves over a gigabyte of address space but runs
// in 4 MiB. A page the program may touch but no frame can back ends the
// program with SIGKILL and a line that says so, as Linux's OOM killer
// would (mem.go, outOfMemory). CLOCK_MONOTONIC is Xen system time from pvclock;
// CLOCK_REALTIME adds Xen's wallclock.
//
// # Classic PV
//
// The same ELF boots as a classic PV guest (xl.cfg type = "pv", or as
// dom0 without dom0=pvh): Xen enters pvEntry in 64-bit mode, ring 3, with
// start_info in %rsi, and pvBoot runs pvBootSteps, PVH's steps with PV's
// means (pv.go, pvmem.go). The Go program then runs in PV guest-user
// mode, not beside the kernel: there a SYSCALL reaches the kernel through
// Xen's syscall callback (pvtrap_amd64.s), where in guest-kernel mode it
// would be a hypercall. Page tables are written through Xen (package pv's
// PageTables), events are masked in kernel code by the upcall mask rather
// than IF, and every way back to the program is HYPERVISOR_iret. pv.go
// explains each crossing and what it costs.
//
// # Command line and environment
//
// The Xen command line becomes os.Args[1:]. Before a "--" word, KEY=VALUE
// words become environment variables instead; after it, every word is an
// argument. GOMAXPROCS=1 (there is one vCPU) is set unless the command
// line sets it.
//
// # Files: the console and Xen's devices
//
// fds 0, 1 and 2 are the console; the runtime's epoll instance and
// eventfd are the rest of what a plain Go program opens. Beside them the
// kernel offers three of Linux's Xen devices, with Linux's interfaces, so
// a program's Xen code runs unchanged in a Linux domain:
//
//   - /dev/xen/xenbus: xenstore messages (xenbus.go, xenbustables.go;
//     package xenstore);
//   - /dev/xen/evtchn: event channels bound, notified and waited for
//     (evtchndev.go; evtchn.Device, evtchn.Port);
//   - /dev/xen/gntalloc: pages granted to another domain and mapped
//     (gntallocdev.go; gnttab.Alloc).
//
// Packages channel (PV channels) and vchan build on them. systable.go
// lists every system call and how completely it is answered.
//
// # Shutdown
//
// exit_group(0) powers the domain off (or reboots it, if that is what
// the toolstack asked for through control/shutdown); any other status
// prints "goxen: exit status N" and crashes it. A CPU fault the kernel cannot
// resolve prints the registers and the faulting address and crashes the
// domain. The console is flushed first every time.
package kernel
