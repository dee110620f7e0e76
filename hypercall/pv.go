package hypercall

// The classic-PV half of the ABI: the hypercall page Xen fills for a PV
// guest, and the numbers and structures of the calls only PV guests make
// (page tables, trap table, callbacks, segment bases).

// PVStubLen is the length of the stub Xen writes in each slot of a 64-bit
// PV guest's hypercall page: "push %rcx; push %r11; mov $nr,%eax;
// syscall; pop %r11; pop %rcx; ret" (1+2+5+2+2+1+1 bytes). SYSCALL from
// guest-kernel mode enters Xen's hypercall dispatcher; it clobbers RCX and
// R11, which the stub saves. The slot of HYPERVISOR_iret differs: it is
// jumped to, not called, and ends at the syscall (push %rcx; push %r11;
// push %rax; mov $23,%eax; syscall: 11 bytes).
//
// xen/arch/x86/pv/hypercall.c: pv_ring3_init_hypercall_page
const PVStubLen = 14

// ExpectedPVStub is the code Xen writes at the start of slot nr of a 64-bit
// PV guest's hypercall page, and its length.
func ExpectedPVStub(nr int) (stub [PVStubLen]byte, n int) {
	if nr == HYPERVISOR_iret {
		return [PVStubLen]byte{0x51, 0x41, 0x53, 0x50, 0xb8, byte(nr), byte(nr >> 8), byte(nr >> 16), byte(nr >> 24), 0x0f, 0x05}, 11
	}
	return [PVStubLen]byte{0x51, 0x41, 0x53, 0xb8, byte(nr), byte(nr >> 8), byte(nr >> 16), byte(nr >> 24), 0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3}, PVStubLen
}

// CheckPVPage compares a PV hypercall page with the stubs Xen writes
// (ExpectedPVStub): -1 if every slot matches, or the first slot that does
// not. It does not allocate.
func CheckPVPage(page *[PageSize]byte) (badSlot int) {
	for nr := 0; nr < NumSlots; nr++ {
		want, n := ExpectedPVStub(nr)
		slot := page[nr*SlotSize:]
		for i := 0; i < n; i++ {
			if slot[i] != want[i] {
				return nr
			}
		}
	}
	return -1
}

// mmu_update commands, in the low two bits of MMUUpdate.Ptr.
// xen/include/public/xen.h: MMU_*
const (
	MMU_NORMAL_PT_UPDATE = 0 // *ptr = val, checked; ptr is the machine address of a PTE
	MMU_MACHPHYS_UPDATE  = 1 // M2P[ptr>>12] = val
)

// update_va_mapping flags.
// xen/include/public/xen.h: UVMF_*
const (
	UVMF_NONE      = 0
	UVMF_TLB_FLUSH = 1
	UVMF_INVLPG    = 2
	UVMF_LOCAL     = 0 << 2
	UVMF_ALL       = 1 << 2
)

// Page-table entry bits a PV guest writes (x86 architecture; Xen refuses
// PSE in a PV L2 entry and PWT/PCD for a plain domU).
const (
	PTE_P  = 1 << 0
	PTE_RW = 1 << 1
	PTE_US = 1 << 2
	PTE_A  = 1 << 5
	PTE_D  = 1 << 6
)

// set_segment_base selectors.
// xen/include/public/arch-x86/xen-x86_64.h: SEGBASE_*
const (
	SEGBASE_FS        = 0
	SEGBASE_GS_USER   = 1
	SEGBASE_GS_KERNEL = 2
)

// callback_op.
// xen/include/public/callback.h
const (
	CALLBACKOP_register     = 0
	CALLBACKTYPE_event      = 0
	CALLBACKTYPE_failsafe   = 1
	CALLBACKF_mask_events   = 1 << 0
	XENMEM_maximum_ram_page = 2 // xen/include/public/memory.h
)

// FLAT_KERNEL_CS is the code selector of a 64-bit PV guest kernel (ring 3,
// GDT entry 262), which trap_info entries name.
// xen/include/public/arch-x86/xen-x86_64.h: FLAT_RING3_CS64
const FLAT_KERNEL_CS = 0xe033

// MACH2PHYS_VIRT_START is where Xen maps its machine-to-physical table,
// read-only, into every 64-bit PV guest: one 8-byte PFN per machine frame.
// xen/include/public/arch-x86/xen-x86_64.h
const MACH2PHYS_VIRT_START = 0xFFFF800000000000

// MMUUpdate is one request of HYPERVISOR_mmu_update.
// xen/include/public/xen.h: struct mmu_update
type MMUUpdate struct {
	Ptr uint64 // machine address of the entry | MMU_* command
	Val uint64 // the new entry
}

// TrapInfo is one entry of HYPERVISOR_set_trap_table; a zero Address ends
// the table. Flags: bits 0-1 the DPL that may raise it with INT n, 4 masks
// events on entry.
// xen/include/public/arch-x86/xen.h: struct trap_info
type TrapInfo struct {
	Vector  uint8
	Flags   uint8
	CS      uint16
	_       uint32
	Address uint64
}

// CallbackRegister is the argument of CALLBACKOP_register.
// xen/include/public/callback.h: struct callback_register
type CallbackRegister struct {
	Type    uint16
	Flags   uint16
	_       uint32
	Address uint64
}

// mmuext_op commands.
// xen/include/public/xen.h: MMUEXT_*
const (
	MMUEXT_PIN_L1_TABLE     = 0
	MMUEXT_PIN_L2_TABLE     = 1
	MMUEXT_PIN_L3_TABLE     = 2
	MMUEXT_PIN_L4_TABLE     = 3
	MMUEXT_UNPIN_TABLE      = 4
	MMUEXT_NEW_BASEPTR      = 5
	MMUEXT_TLB_FLUSH_LOCAL  = 6
	MMUEXT_INVLPG_LOCAL     = 7
	MMUEXT_TLB_FLUSH_ALL    = 10
	MMUEXT_INVLPG_ALL       = 11
	MMUEXT_NEW_USER_BASEPTR = 15
)

// MMUExtOp is one request of HYPERVISOR_mmuext_op: Arg1 is an MFN (pin,
// unpin, the base pointers) or a linear address (INVLPG_*); Arg2 is unused
// by the commands above.
// xen/include/public/xen.h: struct mmuext_op
type MMUExtOp struct {
	Cmd  uint32
	_    uint32
	Arg1 uint64
	Arg2 uint64
}

// Selectors of a 64-bit PV guest: kernel and user both run in ring 3 and
// share them; Xen tells the two modes apart by its own flag, and an iret
// to a CS whose RPL is 3 returns to user mode.
// xen/include/public/arch-x86/xen-x86_64.h: FLAT_RING3_*, FLAT_USER_*
const (
	FLAT_KERNEL_SS = 0xe02b
	FLAT_USER_CS   = 0xe033
	FLAT_USER_SS   = 0xe02b
)

// VGCF_in_syscall in HYPERVISOR_iret's flags returns as SYSRET does: RCX
// and R11 are not restored (xen/arch/x86/pv/iret.c).
// xen/include/public/arch-x86/xen-x86_64.h: VGCF_in_syscall
const VGCF_in_syscall = 1 << 8

// More callback types.
// xen/include/public/callback.h
const (
	CALLBACKTYPE_syscall = 2 // SYSCALL from 64-bit guest-user mode
)
