//go:build amd64

package hypercall

import "unsafe"

// Typed wrappers. Each builds its argument structure on its own stack and
// passes its address; Call is NOSPLIT and so are these, so the stack cannot
// move while Xen reads or writes the structure, and nothing is allocated.
// Results are Xen's raw return values: negative means -Errno.

// rc converts RAX to a signed result.
//
//go:nosplit
func rc(r uintptr) int { return int(int64(r)) }

// ConsoleWrite writes p to Xen's console (CONSOLEIO_write). Release builds
// of Xen accept this only from dom0 and return -EPERM to a domU.
//
//go:nosplit
func ConsoleWrite(p []byte) int {
	if len(p) == 0 {
		return 0
	}
	return rc(Call(HYPERVISOR_console_io, CONSOLEIO_write, uintptr(len(p)), uintptr(unsafe.Pointer(&p[0])), 0, 0))
}

// SchedShutdown shuts the domain down with a SHUTDOWN_* reason. On
// success it does not return (except for SHUTDOWN_suspend).
//
//go:nosplit
func SchedShutdown(reason uint32) int {
	a := SchedShutdownArg{Reason: reason}
	return rc(Call(HYPERVISOR_sched_op, SCHEDOP_shutdown, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
}

// SchedYield gives up the physical CPU for a moment.
//
//go:nosplit
func SchedYield() {
	Call(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0)
}

// SchedBlock sleeps until an event is pending for this vCPU. Called with
// upcalls masked, Xen atomically unmasks and checks, so no wakeup is lost.
//
//go:nosplit
func SchedBlock() {
	Call(HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0, 0)
}

// SchedPoll sleeps until one of ports is pending or until the absolute
// system time timeout (ns) passes, whichever comes first; it also returns
// at once, with 0, if an event is already waiting for delivery to this
// vCPU. Xen refuses more than 128 ports with -EINVAL.
//
// An empty port list is passed to Xen as it is (nr_ports 0, a null
// handle): with a timeout that is a timed block, a sleep until the
// deadline that any event of the domain cuts short. Timeout 0 means no
// timeout (Xen arms no timer), so zero ports with timeout 0 sleeps until
// some event arrives, possibly for ever.
//
// xen/include/public/sched.h: SCHEDOP_poll, struct sched_poll;
// xen/common/sched/core.c: do_poll
//
//go:nosplit
func SchedPoll(ports []uint32, timeout uint64) int {
	a := SchedPollArg{NrPorts: uint32(len(ports)), Timeout: timeout}
	if len(ports) > 0 {
		// ports is the caller's; the address stays valid because nothing
		// on this path can grow (and so move) the stack.
		a.Ports = uint64(uintptr(unsafe.Pointer(&ports[0])))
	}
	return rc(Call(HYPERVISOR_sched_op, SCHEDOP_poll, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
}

// EvtchnSend notifies the other end of an event channel.
//
//go:nosplit
func EvtchnSend(port uint32) int {
	a := EvtchnSendArg{Port: port}
	return rc(Call(HYPERVISOR_event_channel_op, EVTCHNOP_send, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
}

// EvtchnUnmask clears a port's mask bit and re-delivers it if pending.
//
//go:nosplit
func EvtchnUnmask(port uint32) int {
	a := EvtchnUnmaskArg{Port: port}
	return rc(Call(HYPERVISOR_event_channel_op, EVTCHNOP_unmask, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
}

// EvtchnClose closes a port.
//
//go:nosplit
func EvtchnClose(port uint32) int {
	a := EvtchnCloseArg{Port: port}
	return rc(Call(HYPERVISOR_event_channel_op, EVTCHNOP_close, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
}

// EvtchnBindVirq binds a virtual interrupt (VIRQ_*) on a vCPU to a new
// port.
//
//go:nosplit
func EvtchnBindVirq(virq, vcpu uint32) (port uint32, r int) {
	a := EvtchnBindVirqArg{Virq: virq, Vcpu: vcpu}
	r = rc(Call(HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
	return a.Port, r
}

// EvtchnAllocUnbound allocates a port that domain remote may bind to.
//
//go:nosplit
func EvtchnAllocUnbound(remote uint16) (port uint32, r int) {
	a := EvtchnAllocUnboundArg{Dom: DOMID_SELF, RemoteDom: remote}
	r = rc(Call(HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
	return a.Port, r
}

// HVMGetParam reads an HVM_PARAM_* value of this domain.
//
//go:nosplit
func HVMGetParam(index uint32) (uint64, int) {
	a := XenHVMParam{Domid: DOMID_SELF, Index: index}
	r := rc(Call(HYPERVISOR_hvm_op, HVMOP_get_param, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
	return a.Value, r
}

// HVMSetParam writes an HVM_PARAM_* value of this domain.
//
//go:nosplit
func HVMSetParam(index uint32, v uint64) int {
	a := XenHVMParam{Domid: DOMID_SELF, Index: index, Value: v}
	return rc(Call(HYPERVISOR_hvm_op, HVMOP_set_param, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
}

// HVMSetEvtchnUpcallVector asks Xen to deliver this vCPU's event-channel
// upcalls as interrupt vector.
//
//go:nosplit
func HVMSetEvtchnUpcallVector(vcpu uint32, vector uint8) int {
	a := XenHVMEvtchnUpcallVector{Vcpu: vcpu, Vector: vector}
	return rc(Call(HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
}

// AddToPhysmap maps page idx of space (XENMAPSPACE_*) at guest frame gpfn,
// e.g. AddToPhysmap(XENMAPSPACE_shared_info, 0, pfn).
//
//go:nosplit
func AddToPhysmap(space uint32, idx, gpfn uint64) int {
	a := XenAddToPhysmap{Domid: DOMID_SELF, Space: space, Idx: idx, Gpfn: gpfn}
	return rc(Call(HYPERVISOR_memory_op, XENMEM_add_to_physmap, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
}

// RemoveFromPhysmap removes whatever is mapped at guest frame gpfn.
//
//go:nosplit
func RemoveFromPhysmap(gpfn uint64) int {
	a := XenRemoveFromPhysmap{Domid: DOMID_SELF, Gpfn: gpfn}
	return rc(Call(HYPERVISOR_memory_op, XENMEM_remove_from_physmap, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
}

// MemoryMap fills buf with the domain's E820 memory map (E820EntrySize
// bytes per entry; see DecodeE820) and returns the number of entries.
//
//go:nosplit
func MemoryMap(buf []byte) (entries int, r int) {
	if len(buf) < E820EntrySize {
		return 0, -int(EINVAL)
	}
	a := XenMemoryMap{
		NrEntries: uint32(len(buf) / E820EntrySize),
		Buffer:    uint64(uintptr(unsafe.Pointer(&buf[0]))),
	}
	r = rc(Call(HYPERVISOR_memory_op, XENMEM_memory_map, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
	return int(a.NrEntries), r
}

// SetTimerOp arms this vCPU's single-shot timer for an absolute system
// time in ns (0 cancels it); VIRQ_TIMER fires when it expires.
//
//go:nosplit
func SetTimerOp(deadline uint64) int {
	return rc(Call(HYPERVISOR_set_timer_op, uintptr(deadline), 0, 0, 0, 0))
}

// VcpuSetSingleshotTimer arms vcpu's single-shot timer (VCPUOP form,
// which can refuse a past deadline with VCPU_SSHOTTMR_future).
//
//go:nosplit
func VcpuSetSingleshotTimer(vcpu uint32, deadline uint64, flags uint32) int {
	a := VcpuSetSingleshotTimerArg{TimeoutAbsNs: deadline, Flags: flags}
	return rc(Call(HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, uintptr(vcpu), uintptr(unsafe.Pointer(&a)), 0, 0))
}

// VcpuStopSingleshotTimer cancels vcpu's single-shot timer.
//
//go:nosplit
func VcpuStopSingleshotTimer(vcpu uint32) int {
	return rc(Call(HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, uintptr(vcpu), 0, 0, 0))
}

// XenVersion returns the hypervisor's version (XENVER_version). A negative
// major is an error number.
//
//go:nosplit
func XenVersion() (major, minor int) {
	r := rc(Call(HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0))
	if r < 0 {
		return r, 0
	}
	return r >> 16, r & 0xffff
}

// MMUUpdateBatch applies reqs in order (HYPERVISOR_mmu_update, DOMID_SELF)
// and returns how many succeeded and Xen's result. Xen checks every new
// entry: a frame that becomes a page table must have no writable mapping.
//
// xen/include/public/xen.h: HYPERVISOR_mmu_update
//
//go:nosplit
func MMUUpdateBatch(reqs []MMUUpdate) (done int, r int) {
	if len(reqs) == 0 {
		return 0, 0
	}
	var n uint32
	r = rc(Call(HYPERVISOR_mmu_update, uintptr(unsafe.Pointer(&reqs[0])), uintptr(len(reqs)), uintptr(unsafe.Pointer(&n)), DOMID_SELF, 0))
	return int(n), r
}

// UpdateVAMapping sets the page-table entry that maps va to pte (a PV
// guest's one-page mmu_update; flags UVMF_*).
//
//go:nosplit
func UpdateVAMapping(va uintptr, pte uint64, flags uintptr) int {
	return rc(Call(HYPERVISOR_update_va_mapping, va, uintptr(pte), flags, 0, 0))
}

// MMUExtOpBatch applies ops in order (HYPERVISOR_mmuext_op, DOMID_SELF)
// and returns how many succeeded and Xen's result.
//
// xen/include/public/xen.h: HYPERVISOR_mmuext_op
//
//go:nosplit
func MMUExtOpBatch(ops []MMUExtOp) (done int, r int) {
	if len(ops) == 0 {
		return 0, 0
	}
	var n uint32
	r = rc(Call(HYPERVISOR_mmuext_op, uintptr(unsafe.Pointer(&ops[0])), uintptr(len(ops)), uintptr(unsafe.Pointer(&n)), DOMID_SELF, 0))
	return int(n), r
}

// StackSwitch names the stack Xen switches to when a PV guest enters its
// kernel from user mode (a system call, a trap or an event): the kernel
// calls it with each thread's kernel stack when it switches threads.
//
// xen/include/public/xen.h: HYPERVISOR_stack_switch
//
//go:nosplit
func StackSwitch(ss, sp uintptr) int {
	return rc(Call(HYPERVISOR_stack_switch, ss, sp, 0, 0, 0))
}

// SetTrapTable installs a PV guest's virtual IDT; the table ends with an
// entry whose Address is 0.
//
//go:nosplit
func SetTrapTable(t []TrapInfo) int {
	return rc(Call(HYPERVISOR_set_trap_table, uintptr(unsafe.Pointer(&t[0])), 0, 0, 0, 0))
}

// RegisterCallback registers a PV callback (CALLBACKTYPE_*) at addr.
//
//go:nosplit
func RegisterCallback(typ, flags uint16, addr uintptr) int {
	a := CallbackRegister{Type: typ, Flags: flags, Address: uint64(addr)}
	return rc(Call(HYPERVISOR_callback_op, CALLBACKOP_register, uintptr(unsafe.Pointer(&a)), 0, 0, 0))
}

// SetSegmentBase sets a PV guest's FS or GS base (SEGBASE_*).
//
//go:nosplit
func SetSegmentBase(which uint32, base uint64) int {
	return rc(Call(HYPERVISOR_set_segment_base, uintptr(which), uintptr(base), 0, 0, 0))
}

// MaximumRAMPage is the highest machine frame number of the host
// (XENMEM_maximum_ram_page), which bounds the M2P table.
//
//go:nosplit
func MaximumRAMPage() int {
	return rc(Call(HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0, 0, 0, 0))
}

// GetRunstateInfo reads vCPU vcpu's runstate (VCPUOP_get_runstate_info).
//
//go:nosplit
func GetRunstateInfo(vcpu uint32, info *VcpuRunstateInfo) int {
	return rc(Call(HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, uintptr(vcpu), uintptr(unsafe.Pointer(info)), 0, 0))
}
