//go:build amd64

package hypercall

// page is the virtual address of the hypercall page, set by SetPage.
// Call jumps into it, so it must be set before any hypercall.
var page uintptr

// SetPage records the virtual address at which the guest mapped the
// hypercall page (the page whose physical address it wrote to the MSR).
//
//go:nosplit
func SetPage(addr uintptr) { page = addr }

// Page returns the address recorded by SetPage (0 if none yet).
//
//go:nosplit
func Page() uintptr { return page }

// InstallPage asks Xen to fill a hypercall page and records it: it writes
// the page's physical address to the MSR that Discover reported
// (Xen.HypercallMSR), then calls SetPage(virt). phys must be 4 KiB aligned;
// Xen raises #GP for a non-zero page index in the low bits.
//
// xen/arch/x86/msr.c: guest_wrmsr_xen (hypercall page MSR)
//
//go:nosplit
func InstallPage(msr uint32, phys uint64, virt uintptr) {
	WRMSR(msr, phys)
	SetPage(virt)
}

// Call makes hypercall nr with up to five arguments through the page set
// by SetPage and returns RAX unchanged: a negative value is -Errno.
// Implemented in hypercall_amd64.s. Pointer arguments must be converted
// with uintptr(unsafe.Pointer(p)) inside the call expression itself, so
// that the compiler keeps the object alive and in place for the call.
func Call(nr, a1, a2, a3, a4, a5 uintptr) uintptr

// CPUID executes the CPUID instruction.
func CPUID(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// PVCPUID executes CPUID with Xen's forced-emulation prefix (ud2a;
// .ascii "xen"; cpuid), for a classic PV guest: a plain CPUID there runs
// natively and shows the host's leaves, without Xen's; the prefix makes
// Xen's #UD handler emulate it with the guest's CPUID policy, Xen's
// leaves (0x40000000...) included. It works from guest-user mode too,
// unless the domain turned CPUID faulting on. Outside a PV guest the
// prefix is a plain #UD.
//
// xen/arch/x86/pv/emul-inv-op.c: emulate_forced_invalid_op;
// xen/include/public/arch-x86/xen.h: XEN_EMULATE_PREFIX
func PVCPUID(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// WRMSR writes a model-specific register (CPL 0 only).
func WRMSR(msr uint32, v uint64)

// RDTSC reads the time-stamp counter, ordered after earlier loads.
func RDTSC() uint64
