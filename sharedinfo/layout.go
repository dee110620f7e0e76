package sharedinfo

// Shared-info geometry on x86.
// xen/include/public/arch-x86/xen.h: XEN_LEGACY_MAX_VCPUS;
// xen/include/public/xen.h: struct shared_info (evtchn arrays are
// sizeof(xen_ulong_t)*8 words of 64 bits).
const (
	XEN_LEGACY_MAX_VCPUS  = 32
	EVTCHN_2L_NR_CHANNELS = 64 * 64
)

// Flags in vcpu_time_info.flags.
// xen/include/public/xen.h: XEN_PVCLOCK_*
const (
	XEN_PVCLOCK_TSC_STABLE_BIT = 1 << 0
	XEN_PVCLOCK_GUEST_STOPPED  = 1 << 1
)

// PageSize is the size of the frame Xen maps the shared info page into.
const PageSize = 4096

// VcpuTimeInfo is the per-vCPU clock record Xen keeps up to date in
// shared memory ("pvclock"). See SystemTime and ReadTime.
// xen/include/public/xen.h: struct vcpu_time_info (32 bytes)
type VcpuTimeInfo struct {
	Version        uint32 // odd while Xen is updating the record
	Pad0           uint32
	TSCTimestamp   uint64 // tsc_timestamp: TSC at the last update
	SystemTimeNs   uint64 // system_time: ns since boot at that TSC
	TSCToSystemMul uint32 // tsc_to_system_mul: 32.32 fixed-point fraction
	TSCShift       int8   // tsc_shift: applied to the TSC delta first
	Flags          uint8  // XEN_PVCLOCK_*
	Pad1           [2]uint8
}

// ArchVcpuInfo is the x86_64 part of VcpuInfo.
// xen/include/public/arch-x86/xen-x86_64.h: struct arch_vcpu_info
type ArchVcpuInfo struct {
	CR2 uint64
	Pad uint64
}

// VcpuInfo is one vCPU's slot in the shared info page.
// xen/include/public/xen.h: struct vcpu_info (64 bytes on x86)
type VcpuInfo struct {
	EvtchnUpcallPending uint8 // set by Xen, cleared by the guest
	EvtchnUpcallMask    uint8 // guest-owned; non-zero blocks upcalls
	_                   [6]byte
	EvtchnPendingSel    uint64 // xen_ulong_t: which evtchn_pending words to scan
	Arch                ArchVcpuInfo
	Time                VcpuTimeInfo
}

// ArchSharedInfo is the x86 tail of SharedInfo (mostly PV p2m bookkeeping).
// xen/include/public/arch-x86/xen.h: struct arch_shared_info
type ArchSharedInfo struct {
	MaxPfn                uint64
	PfnToMfnFrameListList uint64
	NmiReason             uint64
	P2mCr3                uint64
	P2mVaddr              uint64
	P2mGeneration         uint64
}

// SharedInfo is the page Xen shares with the guest once it is mapped with
// XENMEM_add_to_physmap(XENMAPSPACE_shared_info). Xen documents that the
// structure may grow, so only ever use it through a pointer to a whole page.
// xen/include/public/xen.h: struct shared_info
type SharedInfo struct {
	VcpuInfo      [XEN_LEGACY_MAX_VCPUS]VcpuInfo
	EvtchnPending [64]uint64 // xen_ulong_t[sizeof(xen_ulong_t)*8]
	EvtchnMask    [64]uint64
	WcVersion     uint32 // odd while the wallclock is being updated
	WcSec         uint32
	WcNsec        uint32
	WcSecHi       uint32 // x86_64 only: bits 63:32 of the seconds
	Arch          ArchSharedInfo
}
