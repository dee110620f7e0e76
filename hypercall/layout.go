package hypercall

// Argument structures, laid out byte for byte as the x86_64 C headers lay
// them out. Explicit padding fields stand where the C compiler would insert
// padding, so that the Go and C layouts agree without relying on Go's own
// alignment rules. layout_test.go checks every size and offset.

// EvtchnSendArg is the argument of EVTCHNOP_send.
// xen/include/public/event_channel.h: struct evtchn_send
type EvtchnSendArg struct {
	Port uint32 // evtchn_port_t port
}

// EvtchnUnmaskArg is the argument of EVTCHNOP_unmask.
// xen/include/public/event_channel.h: struct evtchn_unmask
type EvtchnUnmaskArg struct {
	Port uint32
}

// EvtchnCloseArg is the argument of EVTCHNOP_close.
// xen/include/public/event_channel.h: struct evtchn_close
type EvtchnCloseArg struct {
	Port uint32
}

// EvtchnBindVirqArg is the argument of EVTCHNOP_bind_virq. Port is written by
// Xen.
// xen/include/public/event_channel.h: struct evtchn_bind_virq
type EvtchnBindVirqArg struct {
	Virq uint32 // IN: VIRQ_*
	Vcpu uint32 // IN
	Port uint32 // OUT
}

// EvtchnAllocUnboundArg is the argument of EVTCHNOP_alloc_unbound. Port is
// written by Xen.
// xen/include/public/event_channel.h: struct evtchn_alloc_unbound
type EvtchnAllocUnboundArg struct {
	Dom       uint16 // IN: domid_t, usually DOMID_SELF
	RemoteDom uint16 // IN: domid_t of the peer allowed to bind
	Port      uint32 // OUT
}

// SchedShutdownArg is the argument of SCHEDOP_shutdown.
// xen/include/public/sched.h: struct sched_shutdown
type SchedShutdownArg struct {
	Reason uint32 // SHUTDOWN_*
}

// SchedPollArg is the argument of SCHEDOP_poll. Ports is a guest handle: the
// guest virtual address of an array of NrPorts uint32 port numbers.
// xen/include/public/sched.h: struct sched_poll
type SchedPollArg struct {
	Ports   uint64 // XEN_GUEST_HANDLE(evtchn_port_t)
	NrPorts uint32
	_       uint32 // C padding before the uint64
	Timeout uint64 // absolute system time in ns; 0 = none
}

// XenAddToPhysmap is the argument of XENMEM_add_to_physmap.
// xen/include/public/memory.h: struct xen_add_to_physmap
type XenAddToPhysmap struct {
	Domid uint16 // domid_t
	Size  uint16 // pages, for XENMAPSPACE_gmfn_range only
	Space uint32 // XENMAPSPACE_*
	Idx   uint64 // xen_ulong_t: index into Space
	Gpfn  uint64 // xen_pfn_t: where the page should appear
}

// XenRemoveFromPhysmap is the argument of XENMEM_remove_from_physmap.
// xen/include/public/memory.h: struct xen_remove_from_physmap
type XenRemoveFromPhysmap struct {
	Domid uint16
	_     [6]byte // C padding before the uint64
	Gpfn  uint64
}

// XenMemoryMap is the argument of XENMEM_memory_map. Buffer is a guest
// handle to an array of E820-format entries (E820EntrySize bytes each).
// xen/include/public/memory.h: struct xen_memory_map
type XenMemoryMap struct {
	NrEntries uint32 // IN: capacity; OUT: entries written
	_         uint32
	Buffer    uint64 // XEN_GUEST_HANDLE(void)
}

// E820EntrySize is the size of one entry returned by XENMEM_memory_map:
// the BIOS INT 15h/E820 format, packed (addr u64, size u64, type u32).
// xen/include/public/memory.h: struct xen_memory_map comment;
// xen/arch/x86/include/asm/e820.h: struct __packed e820entry
const E820EntrySize = 20

// DecodeE820 reads entry i of a XENMEM_memory_map buffer (little endian).
// It reports false when the buffer is too short.
func DecodeE820(buf []byte, i int) (addr, size uint64, typ uint32, ok bool) {
	if i < 0 || len(buf)/E820EntrySize <= i {
		return 0, 0, 0, false
	}
	// kernel:nopanic i < len(buf)/E820EntrySize, checked above
	b := buf[i*E820EntrySize : (i+1)*E820EntrySize]
	return le64(b[0:]), le64(b[8:]), le32(b[16:]), true
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func le64(b []byte) uint64 {
	return uint64(le32(b)) | uint64(le32(b[4:]))<<32
}

// XenHVMParam is the argument of HVMOP_set_param and HVMOP_get_param.
// xen/include/public/hvm/hvm_op.h: struct xen_hvm_param
type XenHVMParam struct {
	Domid uint16 // domid_t
	Pad   uint16
	Index uint32 // HVM_PARAM_*
	Value uint64 // IN for set, OUT for get
}

// XenHVMEvtchnUpcallVector is the argument of
// HVMOP_set_evtchn_upcall_vector.
// xen/include/public/hvm/hvm_op.h: struct xen_hvm_evtchn_upcall_vector
type XenHVMEvtchnUpcallVector struct {
	Vcpu   uint32
	Vector uint8
	_      [3]byte // C tail padding
}

// VcpuSetSingleshotTimerArg is the argument of VCPUOP_set_singleshot_timer.
// xen/include/public/vcpu.h: struct vcpu_set_singleshot_timer
type VcpuSetSingleshotTimerArg struct {
	TimeoutAbsNs uint64 // absolute Xen system time, ns
	Flags        uint32 // VCPU_SSHOTTMR_*
	_            uint32 // C tail padding
}

// VcpuRunstateInfo is what VCPUOP_get_runstate_info returns: the vCPU's
// state, when it entered it, and the ns spent in each state so far
// (RUNSTATE_running, _runnable, _blocked, _offline).
// xen/include/public/vcpu.h: struct vcpu_runstate_info
type VcpuRunstateInfo struct {
	State          int32
	_              int32
	StateEntryTime uint64
	Time           [4]uint64
}

// Moments are the vCPU's creation and its first unpause in Xen system
// time, given the time now at which the runstate was read. A domU's vCPU
// is created offline (xl builds the domain paused) and leaves that state
// when xl unpause lets it run, so the creation is now minus the time of
// all four states and the unpause is the creation plus the offline time,
// as long as the vCPU was offline only once (nothing pauses a running
// goxen domain but the toolstack, on request).
func (r *VcpuRunstateInfo) Moments(now int64) (created, unpaused int64) {
	var sum uint64
	for _, d := range r.Time {
		sum += d
	}
	created = now - int64(sum)
	return created, created + int64(r.Time[3])
}
