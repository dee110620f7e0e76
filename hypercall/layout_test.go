package hypercall

import (
	"math"
	"testing"
	"unsafe"

	"github.com/goxen/goxen/internal/layouttest"
)

// Each expectation below is read off the x86_64 C header named in the
// case (natural C alignment: u16 at 2, u32 at 4, u64 at 8).
type (
	fieldAt    = layouttest.Field
	layoutCase = layouttest.Struct
)

func TestLayouts(t *testing.T) {
	var (
		send   EvtchnSendArg
		unmask EvtchnUnmaskArg
		cl     EvtchnCloseArg
		virq   EvtchnBindVirqArg
		unb    EvtchnAllocUnboundArg
		shut   SchedShutdownArg
		poll   SchedPollArg
		add    XenAddToPhysmap
		rm     XenRemoveFromPhysmap
		mm     XenMemoryMap
		hp     XenHVMParam
		uv     XenHVMEvtchnUpcallVector
		sst    VcpuSetSingleshotTimerArg
	)
	cases := []layoutCase{
		{"event_channel.h: struct evtchn_send", unsafe.Sizeof(send), 4, []fieldAt{
			{"port", unsafe.Offsetof(send.Port), 0}}},
		{"event_channel.h: struct evtchn_unmask", unsafe.Sizeof(unmask), 4, []fieldAt{
			{"port", unsafe.Offsetof(unmask.Port), 0}}},
		{"event_channel.h: struct evtchn_close", unsafe.Sizeof(cl), 4, []fieldAt{
			{"port", unsafe.Offsetof(cl.Port), 0}}},
		{"event_channel.h: struct evtchn_bind_virq", unsafe.Sizeof(virq), 12, []fieldAt{
			{"virq", unsafe.Offsetof(virq.Virq), 0},
			{"vcpu", unsafe.Offsetof(virq.Vcpu), 4},
			{"port", unsafe.Offsetof(virq.Port), 8}}},
		{"event_channel.h: struct evtchn_alloc_unbound", unsafe.Sizeof(unb), 8, []fieldAt{
			{"dom", unsafe.Offsetof(unb.Dom), 0},
			{"remote_dom", unsafe.Offsetof(unb.RemoteDom), 2},
			{"port", unsafe.Offsetof(unb.Port), 4}}},
		{"sched.h: struct sched_shutdown", unsafe.Sizeof(shut), 4, []fieldAt{
			{"reason", unsafe.Offsetof(shut.Reason), 0}}},
		{"sched.h: struct sched_poll", unsafe.Sizeof(poll), 24, []fieldAt{
			{"ports", unsafe.Offsetof(poll.Ports), 0},
			{"nr_ports", unsafe.Offsetof(poll.NrPorts), 8},
			{"timeout", unsafe.Offsetof(poll.Timeout), 16}}},
		{"memory.h: struct xen_add_to_physmap", unsafe.Sizeof(add), 24, []fieldAt{
			{"domid", unsafe.Offsetof(add.Domid), 0},
			{"size", unsafe.Offsetof(add.Size), 2},
			{"space", unsafe.Offsetof(add.Space), 4},
			{"idx", unsafe.Offsetof(add.Idx), 8},
			{"gpfn", unsafe.Offsetof(add.Gpfn), 16}}},
		{"memory.h: struct xen_remove_from_physmap", unsafe.Sizeof(rm), 16, []fieldAt{
			{"domid", unsafe.Offsetof(rm.Domid), 0},
			{"gpfn", unsafe.Offsetof(rm.Gpfn), 8}}},
		{"memory.h: struct xen_memory_map", unsafe.Sizeof(mm), 16, []fieldAt{
			{"nr_entries", unsafe.Offsetof(mm.NrEntries), 0},
			{"buffer", unsafe.Offsetof(mm.Buffer), 8}}},
		{"hvm/hvm_op.h: struct xen_hvm_param", unsafe.Sizeof(hp), 16, []fieldAt{
			{"domid", unsafe.Offsetof(hp.Domid), 0},
			{"pad", unsafe.Offsetof(hp.Pad), 2},
			{"index", unsafe.Offsetof(hp.Index), 4},
			{"value", unsafe.Offsetof(hp.Value), 8}}},
		{"hvm/hvm_op.h: struct xen_hvm_evtchn_upcall_vector", unsafe.Sizeof(uv), 8, []fieldAt{
			{"vcpu", unsafe.Offsetof(uv.Vcpu), 0},
			{"vector", unsafe.Offsetof(uv.Vector), 4}}},
		{"vcpu.h: struct vcpu_set_singleshot_timer", unsafe.Sizeof(sst), 16, []fieldAt{
			{"timeout_abs_ns", unsafe.Offsetof(sst.TimeoutAbsNs), 0},
			{"flags", unsafe.Offsetof(sst.Flags), 8}}},
	}
	layouttest.Check(t, cases)
}

func TestDecodeE820(t *testing.T) {
	buf := make([]byte, 2*E820EntrySize+3)
	// entry 1: addr 0x100000, size 0x7ff00000, type 1 (RAM), packed at 20.
	copy(buf[20:], []byte{0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0, 0, 0, 0, 1, 0, 0, 0})
	addr, size, typ, ok := DecodeE820(buf, 1)
	if !ok || addr != 0x100000 || size != 0x7ff00000 || typ != 1 {
		t.Fatalf("DecodeE820(1) = %#x %#x %d %v", addr, size, typ, ok)
	}
	for _, i := range []int{-1, 2, math.MaxInt} {
		if _, _, _, ok := DecodeE820(buf, i); ok {
			t.Errorf("DecodeE820(%d) ok on a 2-entry buffer", i)
		}
	}
}

func TestCallbackVector(t *testing.T) {
	// hvm/params.h: val[63:56] = 2 (vector), val[7:0] = vector.
	if got := CallbackVector(0xf3); got != 0x02000000000000f3 {
		t.Fatalf("CallbackVector(0xf3) = %#x", got)
	}
	if CallbackVector(0x20)&HVM_PARAM_CALLBACK_IRQ_TYPE_MASK != HVM_PARAM_CALLBACK_TYPE_VECTOR<<56 {
		t.Fatal("type bits wrong")
	}
}

// A few numbers checked against the headers, including ones a table
// elsewhere in this project once had wrong (VCPUOP timer ops are 8/9).
func TestNumbers(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"xen.h __HYPERVISOR_set_trap_table", HYPERVISOR_set_trap_table, 0},
		{"xen.h __HYPERVISOR_memory_op", HYPERVISOR_memory_op, 12},
		{"xen.h __HYPERVISOR_set_timer_op", HYPERVISOR_set_timer_op, 15},
		{"xen.h __HYPERVISOR_xen_version", HYPERVISOR_xen_version, 17},
		{"xen.h __HYPERVISOR_console_io", HYPERVISOR_console_io, 18},
		{"xen.h __HYPERVISOR_iret", HYPERVISOR_iret, 23},
		{"xen.h __HYPERVISOR_vcpu_op", HYPERVISOR_vcpu_op, 24},
		{"xen.h __HYPERVISOR_sched_op", HYPERVISOR_sched_op, 29},
		{"xen.h __HYPERVISOR_event_channel_op", HYPERVISOR_event_channel_op, 32},
		{"xen.h __HYPERVISOR_hvm_op", HYPERVISOR_hvm_op, 34},
		{"xen.h DOMID_SELF", DOMID_SELF, 0x7ff0},
		{"vcpu.h VCPUOP_set_singleshot_timer", VCPUOP_set_singleshot_timer, 8},
		{"vcpu.h VCPUOP_stop_singleshot_timer", VCPUOP_stop_singleshot_timer, 9},
		{"memory.h XENMEM_add_to_physmap", XENMEM_add_to_physmap, 7},
		{"memory.h XENMEM_memory_map", XENMEM_memory_map, 9},
		{"memory.h XENMEM_remove_from_physmap", XENMEM_remove_from_physmap, 15},
		{"hvm_op.h HVMOP_set_evtchn_upcall_vector", HVMOP_set_evtchn_upcall_vector, 23},
		{"params.h HVM_PARAM_CONSOLE_EVTCHN", HVM_PARAM_CONSOLE_EVTCHN, 18},
		{"event_channel.h EVTCHNOP_unmask", EVTCHNOP_unmask, 9},
		{"sched.h SHUTDOWN_soft_reset", SHUTDOWN_soft_reset, 5},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}
