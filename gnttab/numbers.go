package gnttab

import "strconv"

// Geometry of a version 1 table on a machine with 4 KiB pages.
const (
	PageSize        = 4096
	EntrySize       = 8                           // sizeof(grant_entry_v1_t)
	EntriesPerFrame = PageSize / EntrySize        // 512
	MaxFrames       = 64                          // frames a Table can cover; Xen's default limit (gnttab_max_frames)
	MaxEntries      = MaxFrames * EntriesPerFrame // 32768
	MaxFrameV1      = 1<<32 - 1                   // largest frame number a v1 entry can hold
)

// Entries the guest must not allocate; the toolstack may fill the first
// two when it builds the domain.
// xen/include/public/grant_table.h: GNTTAB_NR_RESERVED_ENTRIES,
// GNTTAB_RESERVED_*
const (
	GNTTAB_NR_RESERVED_ENTRIES = 8
	GNTTAB_RESERVED_CONSOLE    = 0
	GNTTAB_RESERVED_XENSTORE   = 1
)

// Entry types, in the low two bits of the flags.
// xen/include/public/grant_table.h: GTF_invalid ... GTF_type_mask
const (
	GTF_invalid         = 0
	GTF_permit_access   = 1
	GTF_accept_transfer = 2
	GTF_transitive      = 3
	GTF_type_mask       = 3
)

// Flags of a GTF_permit_access entry. [GST] bits are written by the
// guest, [XEN] bits by Xen.
// xen/include/public/grant_table.h: "Subflags for GTF_permit_access"
const (
	GTF_readonly = 1 << 2 // [GST] the grantee may only read
	GTF_reading  = 1 << 3 // [XEN] the grantee has it mapped (or is copying) for reading
	GTF_writing  = 1 << 4 // [XEN] the grantee has it mapped (or is copying) for writing
	GTF_PWT      = 1 << 5 // [GST] x86 cache attribute for the grantee's mapping
	GTF_PCD      = 1 << 6 // [GST] x86 cache attribute
	GTF_PAT      = 1 << 7 // [GST] x86 cache attribute
	GTF_sub_page = 1 << 8 // [GST] v2 only: part of a page, copy only
)

// Flags of a GTF_accept_transfer entry (page transfers; PV guests only).
// xen/include/public/grant_table.h: "Subflags for GTF_accept_transfer"
const (
	GTF_transfer_committed = 1 << 2
	GTF_transfer_completed = 1 << 3
)

// HYPERVISOR_grant_table_op sub-operations.
// xen/include/public/grant_table.h: enum grant_table_op
const (
	GNTTABOP_map_grant_ref     = 0
	GNTTABOP_unmap_grant_ref   = 1
	GNTTABOP_setup_table       = 2
	GNTTABOP_dump_table        = 3
	GNTTABOP_transfer          = 4
	GNTTABOP_copy              = 5
	GNTTABOP_query_size        = 6
	GNTTABOP_unmap_and_replace = 7
	GNTTABOP_set_version       = 8
	GNTTABOP_get_status_frames = 9
	GNTTABOP_get_version       = 10
	GNTTABOP_swap_grant_ref    = 11
	GNTTABOP_cache_flush       = 12
)

// Status is the per-operation result a grant-table argument structure
// carries in its status field. It is separate from the hypercall's own
// return value: a call can succeed as a whole and still report, say,
// GNTST_bad_gntref for one of its operations. All errors are negative.
type Status int16

// xen/include/public/grant_table.h: enum grant_status
const (
	GNTST_okay              Status = 0
	GNTST_general_error     Status = -1
	GNTST_bad_domain        Status = -2
	GNTST_bad_gntref        Status = -3
	GNTST_bad_handle        Status = -4
	GNTST_bad_virt_addr     Status = -5
	GNTST_bad_dev_addr      Status = -6
	GNTST_no_device_space   Status = -7
	GNTST_permission_denied Status = -8
	GNTST_bad_page          Status = -9
	GNTST_bad_copy_arg      Status = -10
	GNTST_address_too_big   Status = -11
	GNTST_eagain            Status = -12
	GNTST_no_space          Status = -13
)

// Name returns the constant's name ("GNTST_bad_gntref"), or "" for a
// value Xen does not define. It returns constant strings only, so it is
// safe where the heap is unavailable.
func (s Status) Name() string {
	switch s {
	case GNTST_okay:
		return "GNTST_okay"
	case GNTST_general_error:
		return "GNTST_general_error"
	case GNTST_bad_domain:
		return "GNTST_bad_domain"
	case GNTST_bad_gntref:
		return "GNTST_bad_gntref"
	case GNTST_bad_handle:
		return "GNTST_bad_handle"
	case GNTST_bad_virt_addr:
		return "GNTST_bad_virt_addr"
	case GNTST_bad_dev_addr:
		return "GNTST_bad_dev_addr"
	case GNTST_no_device_space:
		return "GNTST_no_device_space"
	case GNTST_permission_denied:
		return "GNTST_permission_denied"
	case GNTST_bad_page:
		return "GNTST_bad_page"
	case GNTST_bad_copy_arg:
		return "GNTST_bad_copy_arg"
	case GNTST_address_too_big:
		return "GNTST_address_too_big"
	case GNTST_eagain:
		return "GNTST_eagain"
	case GNTST_no_space:
		return "GNTST_no_space"
	}
	return ""
}

// Error makes a Status usable as an error: "gnttab: GNTST_bad_gntref (-3)".
func (s Status) Error() string {
	n := s.Name()
	if n == "" {
		n = "unknown status"
	}
	return "gnttab: " + n + " (" + strconv.Itoa(int(s)) + ")"
}
