package hypercall

// Hypercall numbers. Xen spells these __HYPERVISOR_<name>; the leading
// underscores are dropped here so that the names are exported.
//
// xen/include/public/xen.h: enum hypercall_num
const (
	HYPERVISOR_set_trap_table                = 0
	HYPERVISOR_mmu_update                    = 1
	HYPERVISOR_set_gdt                       = 2
	HYPERVISOR_stack_switch                  = 3
	HYPERVISOR_set_callbacks                 = 4
	HYPERVISOR_fpu_taskswitch                = 5
	HYPERVISOR_sched_op_compat               = 6
	HYPERVISOR_platform_op                   = 7
	HYPERVISOR_set_debugreg                  = 8
	HYPERVISOR_get_debugreg                  = 9
	HYPERVISOR_update_descriptor             = 10
	HYPERVISOR_memory_op                     = 12
	HYPERVISOR_multicall                     = 13
	HYPERVISOR_update_va_mapping             = 14
	HYPERVISOR_set_timer_op                  = 15
	HYPERVISOR_event_channel_op_compat       = 16
	HYPERVISOR_xen_version                   = 17
	HYPERVISOR_console_io                    = 18
	HYPERVISOR_physdev_op_compat             = 19
	HYPERVISOR_grant_table_op                = 20
	HYPERVISOR_vm_assist                     = 21
	HYPERVISOR_update_va_mapping_otherdomain = 22
	HYPERVISOR_iret                          = 23 // x86 PV only; its slot in an HVM page is ud2
	HYPERVISOR_vcpu_op                       = 24
	HYPERVISOR_set_segment_base              = 25
	HYPERVISOR_mmuext_op                     = 26
	HYPERVISOR_xsm_op                        = 27
	HYPERVISOR_nmi_op                        = 28
	HYPERVISOR_sched_op                      = 29
	HYPERVISOR_callback_op                   = 30
	HYPERVISOR_xenoprof_op                   = 31
	HYPERVISOR_event_channel_op              = 32
	HYPERVISOR_physdev_op                    = 33
	HYPERVISOR_hvm_op                        = 34
	HYPERVISOR_sysctl                        = 35
	HYPERVISOR_domctl                        = 36
	HYPERVISOR_kexec_op                      = 37
	HYPERVISOR_tmem_op                       = 38
	HYPERVISOR_argo_op                       = 39
	HYPERVISOR_xenpmu_op                     = 40
	HYPERVISOR_dm_op                         = 41
	HYPERVISOR_hypfs_op                      = 42
	HYPERVISOR_arch_0                        = 48
	HYPERVISOR_arch_1                        = 49
	HYPERVISOR_arch_2                        = 50
	HYPERVISOR_arch_3                        = 51
	HYPERVISOR_arch_4                        = 52
	HYPERVISOR_arch_5                        = 53
	HYPERVISOR_arch_6                        = 54
	HYPERVISOR_arch_7                        = 55
)

// console_io sub-operations.
// xen/include/public/xen.h: CONSOLEIO_*
const (
	CONSOLEIO_write = 0
	CONSOLEIO_read  = 1
)

// Domain ids with special meaning.
// xen/include/public/xen.h: DOMID_*
const (
	DOMID_FIRST_RESERVED = 0x7FF0
	DOMID_SELF           = 0x7FF0
	DOMID_IO             = 0x7FF1
	DOMID_XEN            = 0x7FF2
	DOMID_COW            = 0x7FF3
	DOMID_INVALID        = 0x7FF4
	DOMID_ANY            = 0x7FF5
	DOMID_IDLE           = 0x7FFF
)

// Virtual interrupts that can be bound to an event channel.
// xen/include/public/xen.h: enum virq
const (
	VIRQ_TIMER      = 0
	VIRQ_DEBUG      = 1
	VIRQ_CONSOLE    = 2
	VIRQ_DOM_EXC    = 3
	VIRQ_TBUF       = 4
	VIRQ_DEBUGGER   = 6
	VIRQ_XENOPROF   = 7
	VIRQ_CON_RING   = 8
	VIRQ_PCPU_STATE = 9
	VIRQ_MEM_EVENT  = 10
	VIRQ_ARGO       = 11
	VIRQ_ENOMEM     = 12
	VIRQ_XENPMU     = 13
)

// sched_op sub-operations.
// xen/include/public/sched.h: enum sched_op
const (
	SCHEDOP_yield           = 0
	SCHEDOP_block           = 1
	SCHEDOP_shutdown        = 2
	SCHEDOP_poll            = 3
	SCHEDOP_remote_shutdown = 4
	SCHEDOP_shutdown_code   = 5
	SCHEDOP_watchdog        = 6
	SCHEDOP_pin_override    = 7
)

// Reasons passed to SCHEDOP_shutdown.
// xen/include/public/sched.h: enum sched_shutdown_reason
const (
	SHUTDOWN_poweroff   = 0
	SHUTDOWN_reboot     = 1
	SHUTDOWN_suspend    = 2
	SHUTDOWN_crash      = 3
	SHUTDOWN_watchdog   = 4
	SHUTDOWN_soft_reset = 5
)

// event_channel_op sub-operations.
// xen/include/public/event_channel.h: enum event_channel_op
const (
	EVTCHNOP_bind_interdomain = 0
	EVTCHNOP_bind_virq        = 1
	EVTCHNOP_bind_pirq        = 2
	EVTCHNOP_close            = 3
	EVTCHNOP_send             = 4
	EVTCHNOP_status           = 5
	EVTCHNOP_alloc_unbound    = 6
	EVTCHNOP_bind_ipi         = 7
	EVTCHNOP_bind_vcpu        = 8
	EVTCHNOP_unmask           = 9
	EVTCHNOP_reset            = 10
	EVTCHNOP_init_control     = 11
	EVTCHNOP_expand_array     = 12
	EVTCHNOP_set_priority     = 13
	EVTCHNOP_reset_cont       = 14
)

// memory_op sub-operations used by an HVM/PVH guest.
// xen/include/public/memory.h: XENMEM_*
const (
	XENMEM_increase_reservation = 0
	XENMEM_decrease_reservation = 1
	XENMEM_populate_physmap     = 6
	XENMEM_add_to_physmap       = 7
	XENMEM_memory_map           = 9
	XENMEM_machine_memory_map   = 10
	XENMEM_remove_from_physmap  = 15
)

// Spaces that XENMEM_add_to_physmap can map from.
// xen/include/public/memory.h: enum phys_map_space
const (
	XENMAPSPACE_shared_info  = 0
	XENMAPSPACE_grant_table  = 1
	XENMAPSPACE_gmfn         = 2
	XENMAPSPACE_gmfn_range   = 3
	XENMAPSPACE_gmfn_foreign = 4
	XENMAPSPACE_dev_mmio     = 5

	// Or'd into idx with XENMAPSPACE_grant_table to map status frames.
	XENMAPIDX_grant_table_status = 0x80000000
)

// hvm_op sub-operations.
// xen/include/public/hvm/hvm_op.h: HVMOP_*
const (
	HVMOP_set_param                = 0
	HVMOP_get_param                = 1
	HVMOP_set_evtchn_upcall_vector = 23
)

// HVM parameters read and written with HVMOP_{get,set}_param.
// xen/include/public/hvm/params.h: HVM_PARAM_*
const (
	HVM_PARAM_CALLBACK_IRQ   = 0
	HVM_PARAM_STORE_PFN      = 1
	HVM_PARAM_STORE_EVTCHN   = 2
	HVM_PARAM_CONSOLE_PFN    = 17
	HVM_PARAM_CONSOLE_EVTCHN = 18

	// The callback value carries its delivery type in bits 63:56.
	HVM_PARAM_CALLBACK_IRQ_TYPE_MASK = 0xFF00000000000000
	HVM_PARAM_CALLBACK_TYPE_GSI      = 0
	HVM_PARAM_CALLBACK_TYPE_PCI_INTX = 1
	HVM_PARAM_CALLBACK_TYPE_VECTOR   = 2 // x86: bits 7:0 are the IDT vector
)

// CallbackVector builds the HVM_PARAM_CALLBACK_IRQ value that asks Xen to
// deliver event-channel upcalls as the given interrupt vector.
func CallbackVector(vector uint8) uint64 {
	return HVM_PARAM_CALLBACK_TYPE_VECTOR<<56 | uint64(vector)
}

// vcpu_op sub-operations.
// xen/include/public/vcpu.h: VCPUOP_*
const (
	VCPUOP_initialise                     = 0
	VCPUOP_up                             = 1
	VCPUOP_down                           = 2
	VCPUOP_is_up                          = 3
	VCPUOP_get_runstate_info              = 4
	VCPUOP_register_runstate_memory_area  = 5
	VCPUOP_set_periodic_timer             = 6
	VCPUOP_stop_periodic_timer            = 7
	VCPUOP_set_singleshot_timer           = 8
	VCPUOP_stop_singleshot_timer          = 9
	VCPUOP_register_vcpu_info             = 10
	VCPUOP_send_nmi                       = 11
	VCPUOP_get_physid                     = 12
	VCPUOP_register_vcpu_time_memory_area = 13
	VCPUOP_register_runstate_phys_area    = 14
	VCPUOP_register_vcpu_time_phys_area   = 15

	// Flag for VCPUOP_set_singleshot_timer: fail with -ETIME if the
	// deadline has already passed.
	VCPU_SSHOTTMR_future = 1 << 0
)

// xen_version sub-operations.
// xen/include/public/version.h: XENVER_*
const (
	XENVER_version             = 0 // returns major<<16 | minor
	XENVER_extraversion        = 1
	XENVER_compile_info        = 2
	XENVER_capabilities        = 3
	XENVER_changeset           = 4
	XENVER_platform_parameters = 5
	XENVER_get_features        = 6
	XENVER_pagesize            = 7
	XENVER_guest_handle        = 8
	XENVER_commandline         = 9
	XENVER_build_id            = 10
	XENVER_extraversion2       = 11
	XENVER_capabilities2       = 12
	XENVER_changeset2          = 13
	XENVER_commandline2        = 14
)
