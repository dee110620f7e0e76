package hypercall

import (
	"testing"
	"unsafe"

	"github.com/goxen/goxen/internal/layouttest"
)

// pvPage builds a page the way Xen fills a 64-bit PV guest's
// (xen/arch/x86/pv/hypercall.c: pv_ring3_init_hypercall_page), written out
// byte by byte here rather than through ExpectedPVStub.
func pvPage() *[PageSize]byte {
	var p [PageSize]byte
	for nr := 0; nr < NumSlots; nr++ {
		s := p[nr*SlotSize:]
		if nr == HYPERVISOR_iret {
			copy(s, []byte{0x51, 0x41, 0x53, 0x50, 0xb8, 23, 0, 0, 0, 0x0f, 0x05})
			continue
		}
		copy(s, []byte{0x51, 0x41, 0x53, 0xb8, byte(nr), 0, 0, 0, 0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3})
	}
	return &p
}

func TestCheckPVPage(t *testing.T) {
	p := pvPage()
	if bad := CheckPVPage(p); bad != -1 {
		t.Fatalf("Xen's PV page: bad slot %d", bad)
	}
	// An HVM page (vmcall stubs) is not a PV page.
	var h [PageSize]byte
	for nr := 0; nr < NumSlots; nr++ {
		s, n := ExpectedStub(nr, VendorIntel)
		copy(h[nr*SlotSize:], s[:n])
	}
	if bad := CheckPVPage(&h); bad != 0 {
		t.Errorf("HVM page: bad slot %d, want 0", bad)
	}
	// One wrong byte in one slot is found.
	p[HYPERVISOR_sched_op*SlotSize+9] = 0x34 // sysenter, not syscall
	if bad := CheckPVPage(p); bad != HYPERVISOR_sched_op {
		t.Errorf("bad slot %d, want %d", bad, HYPERVISOR_sched_op)
	}
	p = pvPage()
	p[HYPERVISOR_iret*SlotSize+3] = 0x90
	if bad := CheckPVPage(p); bad != HYPERVISOR_iret {
		t.Errorf("bad slot %d, want the iret slot", bad)
	}
	if n := testing.AllocsPerRun(5, func() { CheckPVPage(p) }); n != 0 {
		t.Errorf("CheckPVPage allocates %v times", n)
	}
}

func TestPVLayouts(t *testing.T) {
	var (
		mu MMUUpdate
		ti TrapInfo
		cb CallbackRegister
		me MMUExtOp
	)
	layouttest.Check(t, []layoutCase{
		{"xen.h: struct mmu_update", unsafe.Sizeof(mu), 16, []fieldAt{
			{"ptr", unsafe.Offsetof(mu.Ptr), 0}, {"val", unsafe.Offsetof(mu.Val), 8}}},
		{"arch-x86/xen.h: struct trap_info", unsafe.Sizeof(ti), 16, []fieldAt{
			{"vector", unsafe.Offsetof(ti.Vector), 0}, {"flags", unsafe.Offsetof(ti.Flags), 1},
			{"cs", unsafe.Offsetof(ti.CS), 2}, {"address", unsafe.Offsetof(ti.Address), 8}}},
		{"callback.h: struct callback_register", unsafe.Sizeof(cb), 16, []fieldAt{
			{"type", unsafe.Offsetof(cb.Type), 0}, {"flags", unsafe.Offsetof(cb.Flags), 2},
			{"address", unsafe.Offsetof(cb.Address), 8}}},
		{"xen.h: struct mmuext_op", unsafe.Sizeof(me), 24, []fieldAt{
			{"cmd", unsafe.Offsetof(me.Cmd), 0}, {"arg1", unsafe.Offsetof(me.Arg1), 8},
			{"arg2", unsafe.Offsetof(me.Arg2), 16}}},
	})
}

func TestRunstate(t *testing.T) {
	var r VcpuRunstateInfo
	layouttest.Check(t, []layoutCase{
		{"vcpu.h: struct vcpu_runstate_info", unsafe.Sizeof(r), 48, []fieldAt{
			{"state", unsafe.Offsetof(r.State), 0}, {"state_entry_time", unsafe.Offsetof(r.StateEntryTime), 8},
			{"time", unsafe.Offsetof(r.Time), 16}}},
	})
	// Created at 1000, paused 500, then ran 30, runnable 5, blocked 65.
	r.Time = [4]uint64{30, 5, 65, 500}
	if c, u := r.Moments(1600); c != 1000 || u != 1500 {
		t.Errorf("Moments(1600) = %d, %d; want 1000, 1500", c, u)
	}
}
