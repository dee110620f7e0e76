// Package pv is the bring-up of a classic (paravirtualised) Xen guest
// before any Go runtime exists, beside package pvh and sharing its early
// stack, TLS, console and fatal path. The same ELF boots both ways:
// package linker gives it PHYS32_ENTRY for PVH and ENTRY, HYPERCALL_PAGE,
// VIRT_BASE 0 and PADDR_OFFSET 0 for PV.
//
// # How PV differs from PVH
//
// A PVH guest runs in a hardware container: it owns its page tables,
// IDT and control registers, and Xen's start info and special pages sit
// at guest-physical addresses. A PV guest has no container. Its kernel
// runs in ring 3; Xen builds its first page tables itself and validates
// every entry the guest writes after that (a page-table page may never
// be mapped writable); it has no IDT but a trap table it hands to Xen;
// and it deals in two kinds of frame number, its own pseudo-physical
// ones (PFN) and the host's machine ones (MFN), translated by the P2M
// Xen writes for it and the M2P Xen maps into it (mem.go).
//
// # PV boot
//
// Xen's domain builder loads the image at virtual = pseudo-physical
// addresses (VIRT_BASE 0), maps a bootstrap region behind it (the P2M,
// start_info, the xenstore and console pages, the page tables, a boot
// stack and 512 KiB of padding, up to a 4 MiB boundary:
// xen/include/public/xen.h, "Start-of-day memory layout"), fills the
// hypercall page the HYPERCALL_PAGE note names, and enters the ENTRY
// note's address in 64-bit mode with %rsi = start_info. Then, in order:
//
//  1. Entry (entry_amd64.s) keeps %rsi, sets the FS base to pvh's early
//     TLS with set_segment_base (a bare SYSCALL: in guest-kernel mode it
//     is a hypercall), moves to pvh's early stack and calls the flavour's
//     continuation.
//  2. Early: port 0xe9 does not exist in ring 3, so early and fallback
//     output goes to console_io (Xen's log); CheckHypercallPage compares
//     the page with the stubs Xen writes for PV; InstallTraps gives Xen
//     the trap table and the event and failsafe callbacks; ReadStartInfo
//     decodes start_info (package startinfo) and finds the P2M and the
//     M2P; MapSharedInfo maps shared info from its machine address with
//     update_va_mapping; FindConsole picks console_io (dom0) or the ring
//     whose machine frame start_info names (a domU); GuardLowMemory unmaps
//     the first 64 KiB, so that nil dereferences fault.
//  3. MapRAM maps the rest of the domain's memory (up to 1 GiB): new L1
//     tables, filled in the padding, made read-only and hooked into the
//     bootstrap L2 with one batch of mmu_update (plan.go).
//
// After boot, package mm edits the page tables through PageTables
// (pagetable.go): entries translated through the P2M and M2P and written
// by batched mmu_update, page-table pages read-only in the 1:1 map, TLB
// entries dropped with mmuext_op. Host tests drive it against a simulated
// Xen that enforces the page-type rules (xensim_test.go).
//
// A trap is reported on the console with its vector, error code, RIP and,
// for a page fault, CR2 from vcpu_info.arch.cr2, and the domain is
// crashed (trap.go). Events stay masked while the guest runs. Idle
// (idle_amd64.go) sleeps as under PVH: set_timer_op arms VIRQ_TIMER
// (bound by InitTimer) and SCHEDOP_block waits with events unmasked; the
// upcall that ends the block returns at once (entry_amd64.s: trapEvent).
// A full console ring waits with SCHEDOP_poll (pvh.PollConsole), which
// needs no upcall.
//
// # Instructions PV refuses
//
// Ring 3 raises #GP for, or Xen refuses, port I/O (OUT to 0xe9 included),
// HLT, CLI/STI, LIDT/LGDT/LLDT/LTR, MOV to CR0/CR3/CR4, CLTS, LMSW,
// INVLPG, INVD, WBINVD, RDMSR/WRMSR, SWAPGS and SYSRET. None may appear
// on the PV path; privileged_test.go disassembles it in a built kernel to
// make sure.
//
// Like package pvh, nothing here allocates, panics or stores a pointer
// where a write barrier could fire.
package pv
