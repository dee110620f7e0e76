package startinfo

// xen/include/public/arch-x86/hvm/start_info.h: the PVH start-of-day magic,
// "xEn3" with the top bit of the 'E' set, read as a little-endian uint32.
const XEN_HVM_START_MAGIC_VALUE = 0x336ec578

// Layout sizes of the PVH structures (xen/include/public/arch-x86/hvm/start_info.h).
const (
	hvmStartInfoSizeV0  = 40 // struct hvm_start_info up to rsdp_paddr
	hvmStartInfoSizeV1  = 56 // version 1 adds memmap_paddr, memmap_entries, reserved
	hvmModlistEntrySize = 32 // struct hvm_modlist_entry
	hvmMemmapEntrySize  = 24 // struct hvm_memmap_table_entry
)

// KnownPVHVersion is the newest struct hvm_start_info layout whose fields
// this package decodes. start_info.h says of the version field "New
// versions are guaranteed to be backwards-compatible", and version 1 only
// appended fields to version 0's, so a structure of a newer version is
// decoded as version 1: its first 56 bytes are read, and whatever a newer
// version appends after them is not. PVH.Version keeps the number Xen
// wrote, so the kernel can log it.
const KnownPVHVersion = 1

// xen/include/public/arch-x86/hvm/start_info.h: memory map entry types.
// 1..7 follow the ACPI address range types; the 0xF000000x values are
// Xen's own (in the OEM range) and appear in newer headers.
const (
	XEN_HVM_MEMMAP_TYPE_RAM      = 1
	XEN_HVM_MEMMAP_TYPE_RESERVED = 2
	XEN_HVM_MEMMAP_TYPE_ACPI     = 3
	XEN_HVM_MEMMAP_TYPE_NVS      = 4
	XEN_HVM_MEMMAP_TYPE_UNUSABLE = 5
	XEN_HVM_MEMMAP_TYPE_DISABLED = 6
	XEN_HVM_MEMMAP_TYPE_PMEM     = 7

	XEN_HVM_MEMMAP_TYPE_SHARED_INFO   = 0xF0000001
	XEN_HVM_MEMMAP_TYPE_GRANT_TABLE   = 0xF0000002
	XEN_HVM_MEMMAP_TYPE_GNTTAB_STATUS = 0xF0000003
	XEN_HVM_MEMMAP_TYPE_FOREIGN_REG   = 0xF0000004
)

// xen/include/public/xen.h: SIF_* flags, carried in start_info_t.flags (PV)
// and in hvm_start_info.flags (PVH).
const (
	SIF_PRIVILEGED      = 1 << 0 // the domain is privileged
	SIF_INITDOMAIN      = 1 << 1 // the domain is the initial control domain (dom0)
	SIF_MULTIBOOT_MOD   = 1 << 2 // mod_start is a multiboot module package
	SIF_MOD_START_PFN   = 1 << 3 // mod_start is a PFN, not a virtual address
	SIF_VIRT_P2M_4TOOLS = 1 << 4 // tools understand a virtually mapped P->M list
	SIF_PM_MASK         = 0xFF << 8
)

// xen/include/public/xen.h: the PV start_info_t layout on x86_64.
const (
	// MaxCmdline is MAX_GUEST_CMDLINE from xen/include/public/xen.h, the
	// size of start_info_t.cmd_line. PVH's cmdline is a plain NUL-terminated
	// string with no stated bound; we apply the same 1024 bytes to it, NUL
	// included.
	MaxCmdline = 1024

	// PVMagic is the magic a 64-bit PV guest finds at the start of
	// start_info_t: "xen-<version>-<platform>".
	PVMagic = "xen-3.0-x86_64"
	// PVMagicPrefix is the part every x86 start_info_t shares; a structure
	// that has it but a different platform (x86_32p) is laid out with
	// 32-bit longs and cannot be read as x86_64.
	PVMagicPrefix = "xen-3.0-"

	pvMagicSize   = 32   // char magic[32]
	pvCmdlineOff  = 128  // offset of cmd_line
	pvP2MOff      = 1152 // offset of first_p2m_pfn
	pvStartInfoSz = 1168 // sizeof(start_info_t) on x86_64
)

// Bounds on entry counts. Xen hands a PVH guest a handful of modules and a
// memory map of a few dozen entries at most; anything far beyond that is a
// corrupt structure, and fixed bounds let the result live in fixed arrays.
const (
	MaxModules = 64
	MaxMemmap  = 128
)
