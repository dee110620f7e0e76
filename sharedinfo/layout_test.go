package sharedinfo

import (
	"testing"
	"unsafe"

	"github.com/goxen/goxen/internal/layouttest"
)

// Each expectation below is read off the x86_64 C header named in the
// case (natural C alignment: u16 at 2, u32 at 4, u64 at 8).
type fieldAt = layouttest.Field

func TestLayouts(t *testing.T) {
	var (
		ti  VcpuTimeInfo
		avi ArchVcpuInfo
		vi  VcpuInfo
		asi ArchSharedInfo
		si  SharedInfo
	)
	cases := []layouttest.Struct{
		{"xen.h: struct vcpu_time_info", unsafe.Sizeof(ti), 32, []fieldAt{
			{"version", unsafe.Offsetof(ti.Version), 0},
			{"pad0", unsafe.Offsetof(ti.Pad0), 4},
			{"tsc_timestamp", unsafe.Offsetof(ti.TSCTimestamp), 8},
			{"system_time", unsafe.Offsetof(ti.SystemTimeNs), 16},
			{"tsc_to_system_mul", unsafe.Offsetof(ti.TSCToSystemMul), 24},
			{"tsc_shift", unsafe.Offsetof(ti.TSCShift), 28},
			{"flags", unsafe.Offsetof(ti.Flags), 29},
			{"pad1", unsafe.Offsetof(ti.Pad1), 30}}},
		{"arch-x86/xen-x86_64.h: struct arch_vcpu_info", unsafe.Sizeof(avi), 16, []fieldAt{
			{"cr2", unsafe.Offsetof(avi.CR2), 0},
			{"pad", unsafe.Offsetof(avi.Pad), 8}}},
		{"xen.h: struct vcpu_info", unsafe.Sizeof(vi), 64, []fieldAt{
			{"evtchn_upcall_pending", unsafe.Offsetof(vi.EvtchnUpcallPending), 0},
			{"evtchn_upcall_mask", unsafe.Offsetof(vi.EvtchnUpcallMask), 1},
			{"evtchn_pending_sel", unsafe.Offsetof(vi.EvtchnPendingSel), 8},
			{"arch", unsafe.Offsetof(vi.Arch), 16},
			{"time", unsafe.Offsetof(vi.Time), 32}}},
		{"arch-x86/xen.h: struct arch_shared_info", unsafe.Sizeof(asi), 48, []fieldAt{
			{"max_pfn", unsafe.Offsetof(asi.MaxPfn), 0},
			{"pfn_to_mfn_frame_list_list", unsafe.Offsetof(asi.PfnToMfnFrameListList), 8},
			{"nmi_reason", unsafe.Offsetof(asi.NmiReason), 16},
			{"p2m_cr3", unsafe.Offsetof(asi.P2mCr3), 24},
			{"p2m_vaddr", unsafe.Offsetof(asi.P2mVaddr), 32},
			{"p2m_generation", unsafe.Offsetof(asi.P2mGeneration), 40}}},
		// 32 vcpu_info of 64 bytes = 2048; two arrays of 64 u64 = 512 each.
		{"xen.h: struct shared_info", unsafe.Sizeof(si), 3136, []fieldAt{
			{"vcpu_info", unsafe.Offsetof(si.VcpuInfo), 0},
			{"evtchn_pending", unsafe.Offsetof(si.EvtchnPending), 2048},
			{"evtchn_mask", unsafe.Offsetof(si.EvtchnMask), 2560},
			{"wc_version", unsafe.Offsetof(si.WcVersion), 3072},
			{"wc_sec", unsafe.Offsetof(si.WcSec), 3076},
			{"wc_nsec", unsafe.Offsetof(si.WcNsec), 3080},
			{"wc_sec_hi", unsafe.Offsetof(si.WcSecHi), 3084},
			{"arch", unsafe.Offsetof(si.Arch), 3088}}},
	}
	layouttest.Check(t, cases)
}

// The vcpu_info slots must also land where Xen puts them inside the page.
func TestSharedInfoVcpuSlots(t *testing.T) {
	var si SharedInfo
	base := uintptr(unsafe.Pointer(&si))
	for i := range si.VcpuInfo {
		off := uintptr(unsafe.Pointer(&si.VcpuInfo[i].Time)) - base
		if want := uintptr(i*64 + 32); off != want {
			t.Fatalf("vcpu_info[%d].time at %d, want %d", i, off, want)
		}
	}
	if unsafe.Sizeof(si) > PageSize {
		t.Fatalf("shared_info is %d bytes, more than a page", unsafe.Sizeof(si))
	}
}

func TestPureFunctionsDoNotAllocate(t *testing.T) {
	ti := VcpuTimeInfo{Version: 2, TSCToSystemMul: 0x80000000, TSCShift: 1}
	var si SharedInfo
	tsc := func() uint64 { return 12345 }
	n := testing.AllocsPerRun(100, func() {
		ReadTime(&ti, tsc)
		ti.SystemTime(12345)
		si.Wallclock()
	})
	if n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}
