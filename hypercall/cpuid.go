package hypercall

import "strconv"

// Hypervisor CPUID leaves.
// xen/include/public/arch-x86/cpuid.h
const (
	XEN_CPUID_FIRST_LEAF    = 0x40000000
	XEN_CPUID_SIGNATURE_EBX = 0x566e6558 // "XenV"
	XEN_CPUID_SIGNATURE_ECX = 0x65584d4d // "MMXe"
	XEN_CPUID_SIGNATURE_EDX = 0x4d4d566e // "nVMM"

	// Bits of leaf base+3, sub-leaf 0, EAX.
	XEN_CPUID_TSC_EMULATED       = 1 << 0
	XEN_CPUID_HOST_TSC_RELIABLE  = 1 << 1
	XEN_CPUID_RDTSCP_INSTR_AVAIL = 1 << 2
)

// TSC modes: the domain's tsc_mode (xl.cfg), which leaf base+3 sub-leaf 0
// reports in EBX. The numbers are in the comment of the public
// arch-x86/cpuid.h; the names are Xen's internal ones
// (xen/arch/x86/include/asm/time.h).
const (
	TSC_MODE_DEFAULT        = 0 // emulate RDTSC only if the host TSC is not safe
	TSC_MODE_ALWAYS_EMULATE = 1
	TSC_MODE_NEVER_EMULATE  = 2
	TSC_MODE_PVRDTSCP       = 3 // no longer accepted by Xen; named for old hosts
)

// Discover scans this range of bases, in steps of cpuidStride. Xen sits at
// 0x40000000, or at 0x40000100 when it also shows Hyper-V (Viridian)
// leaves at 0x40000000; scanning further costs nothing.
const (
	cpuidLastBase = 0x4000ff00
	cpuidStride   = 0x100
)

// CPUIDFunc executes CPUID (or pretends to, in tests).
type CPUIDFunc func(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// Xen is what the hypervisor CPUID leaves say about the Xen we run on.
type Xen struct {
	Base           uint32 // first Xen leaf: 0x40000000 or 0x40000100, ...
	Major, Minor   uint16 // leaf base+1 EAX: major<<16 | minor
	HypercallPages uint32 // leaf base+2 EAX
	HypercallMSR   uint32 // leaf base+2 EBX: write the page's physical address here
	TSCKHz         uint32 // leaf base+3 sub-leaf 0 ECX; 0 if the leaf is absent
	TSCFlags       uint32 // leaf base+3 sub-leaf 0 EAX: XEN_CPUID_TSC_EMULATED, ...
	TSCMode        uint32 // leaf base+3 sub-leaf 0 EBX: TSC_MODE_*
}

// TSCEmulated reports whether Xen traps every RDTSC of this guest. Xen
// does so by default when the host TSC is not known to be safe, as on an
// emulated CPU without an invariant TSC: each clock read is then a VM
// exit, hundreds of times dearer than the instruction.
func (x Xen) TSCEmulated() bool { return x.TSCFlags&XEN_CPUID_TSC_EMULATED != 0 }

// TSCModeName is the xl.cfg name of the tsc_mode Xen reports.
func (x Xen) TSCModeName() string {
	switch x.TSCMode {
	case TSC_MODE_DEFAULT:
		return "default"
	case TSC_MODE_ALWAYS_EMULATE:
		return "always_emulate"
	case TSC_MODE_NEVER_EMULATE:
		return "native"
	case TSC_MODE_PVRDTSCP:
		return "native_paravirt"
	}
	return "unknown"
}

// DiscoverErrorKind says which check failed in Discover.
type DiscoverErrorKind int

const (
	// NoSignature: no leaf carries "XenVMMXenVMM"; not running on Xen.
	NoSignature DiscoverErrorKind = iota + 1
	// MaxLeafTooSmall: a Xen signature was found but its max leaf does not
	// reach base+2, so the hypercall-page leaf is missing.
	MaxLeafTooSmall
	// NoHypercallPages: leaf base+2 reports zero hypercall pages, although
	// the header guarantees at least one.
	NoHypercallPages
)

// DiscoverError is returned by Discover.
type DiscoverError struct {
	Kind    DiscoverErrorKind
	Base    uint32 // the leaf with the signature (unset for NoSignature)
	MaxLeaf uint32 // EAX of that leaf (MaxLeafTooSmall)
}

func (e *DiscoverError) Error() string {
	switch e.Kind {
	case NoSignature:
		return "no Xen signature found in CPUID leaves " + hex(XEN_CPUID_FIRST_LEAF) + "-" + hex(cpuidLastBase)
	case MaxLeafTooSmall:
		return "Xen CPUID leaf " + hex(e.Base) + ": max leaf " + hex(e.MaxLeaf) +
			" too small, need at least " + hex(e.Base+2)
	case NoHypercallPages:
		return "Xen CPUID leaf " + hex(e.Base+2) + ": reports 0 hypercall pages"
	}
	return "Xen CPUID discovery failed (kind " + strconv.Itoa(int(e.Kind)) + ")"
}

func hex(v uint32) string { return "0x" + strconv.FormatUint(uint64(v), 16) }

// Discover finds Xen's CPUID leaves and reads the version, the hypercall
// page count and MSR, and the guest TSC frequency. A base whose max leaf is
// too small is skipped in favour of a later one; the error reports it only
// if no usable base exists.
//
// xen/include/public/arch-x86/cpuid.h: leaves 1-4 (0x40000x00-0x40000x03)
func Discover(cpuid CPUIDFunc) (Xen, error) {
	// The errors are built in discoverErr, so returning one allocates
	// nothing: the kernel calls Discover before the Go heap exists.
	var tooSmall *DiscoverError
	for base := uint32(XEN_CPUID_FIRST_LEAF); base <= cpuidLastBase; base += cpuidStride {
		max, ebx, ecx, edx := cpuid(base, 0)
		if ebx != XEN_CPUID_SIGNATURE_EBX || ecx != XEN_CPUID_SIGNATURE_ECX || edx != XEN_CPUID_SIGNATURE_EDX {
			continue
		}
		if max < base+2 {
			if tooSmall == nil {
				discoverErr = DiscoverError{Kind: MaxLeafTooSmall, Base: base, MaxLeaf: max}
				tooSmall = &discoverErr
			}
			continue
		}
		var x Xen
		x.Base = base
		ver, _, _, _ := cpuid(base+1, 0)
		x.Major, x.Minor = uint16(ver>>16), uint16(ver)
		x.HypercallPages, x.HypercallMSR, _, _ = cpuid(base+2, 0)
		if x.HypercallPages == 0 {
			discoverErr = DiscoverError{Kind: NoHypercallPages, Base: base, MaxLeaf: max}
			return Xen{}, &discoverErr
		}
		if max >= base+3 {
			x.TSCFlags, x.TSCMode, x.TSCKHz, _ = cpuid(base+3, 0)
		}
		return x, nil
	}
	if tooSmall != nil {
		return Xen{}, tooSmall
	}
	discoverErr = DiscoverError{Kind: NoSignature}
	return Xen{}, &discoverErr
}

// discoverErr holds Discover's last error; the next failing call
// overwrites it.
var discoverErr DiscoverError
