package gnttab

// Structures laid out byte for byte as the x86_64 C headers lay them out,
// with explicit padding where the C compiler inserts it. layout_test.go
// checks every size and offset.

// EntryV1 is one entry of a version 1 grant table. Xen reads it at any
// time and updates Flags concurrently, so a live entry is only ever
// touched through Table (or atomically).
// xen/include/public/grant_table.h: struct grant_entry_v1
type EntryV1 struct {
	Flags uint16 // GTF_*: [GST] type and permissions, [XEN] GTF_reading/GTF_writing
	Domid uint16 // domid_t: the grantee [GST]
	Frame uint32 // the granted guest frame [GST]
}

// SetupTableArg is the argument of GNTTABOP_setup_table, with which a PV
// guest learns the machine frames of its table (a PVH guest places them
// instead, with XENMEM_add_to_physmap).
// xen/include/public/grant_table.h: struct gnttab_setup_table
type SetupTableArg struct {
	Dom       uint16 // IN: domid_t, DOMID_SELF
	_         uint16
	NrFrames  uint32 // IN: frames wanted
	Status    Status // OUT: GNTST_*
	_         [3]uint16
	FrameList uint64 // IN: address of NrFrames xen_pfn_t, which Xen fills with MFNs
}

// QuerySizeArg is the argument of GNTTABOP_query_size.
// xen/include/public/grant_table.h: struct gnttab_query_size
type QuerySizeArg struct {
	Dom         uint16 // IN: domid_t, DOMID_SELF
	_           uint16 // C padding before the uint32
	NrFrames    uint32 // OUT: frames the table has now
	MaxNrFrames uint32 // OUT: frames it may grow to
	Status      Status // OUT: int16_t, GNTST_*
	_           uint16 // C tail padding
}

// SetVersionArg is the argument of GNTTABOP_set_version.
// xen/include/public/grant_table.h: struct gnttab_set_version
type SetVersionArg struct {
	Version uint32 // IN: 1 or 2; OUT: the version in force
}

// GetVersionArg is the argument of GNTTABOP_get_version.
// xen/include/public/grant_table.h: struct gnttab_get_version
type GetVersionArg struct {
	Dom     uint16 // IN: domid_t, DOMID_SELF
	Pad     uint16
	Version uint32 // OUT
}
