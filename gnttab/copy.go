package gnttab

// GNTTABOP_copy: Xen copies bytes between frames named by grant
// reference or by guest frame number, checking the grants as it goes. A
// domain can copy through a grant it gave itself, which proves a grant
// entry is live (and, after Revoke, that it is not).

// Flags of struct gnttab_copy: which side is named by a grant reference.
// xen/include/public/grant_table.h: GNTCOPY_source_gref, GNTCOPY_dest_gref
const (
	GNTCOPY_source_gref = 1 << 0
	GNTCOPY_dest_gref   = 1 << 1
)

// CopyPtr is one side of a copy: a grant reference (with the granting
// domain) or a frame of the caller's (with DOMID_SELF), and an offset in
// it.
// xen/include/public/grant_table.h: struct gnttab_copy_ptr (u is a union
// of grant_ref_t and xen_pfn_t, 8 bytes on x86_64)
type CopyPtr struct {
	U      uint64 // grant_ref_t ref, or xen_pfn_t gmfn
	Domid  uint16
	Offset uint16
	_      uint32 // C tail padding
}

// CopyArg is the argument of GNTTABOP_copy.
// xen/include/public/grant_table.h: struct gnttab_copy
type CopyArg struct {
	Source, Dest CopyPtr
	Len          uint16
	Flags        uint16 // GNTCOPY_*
	Status       Status // OUT: GNTST_*
	_            uint16 // C tail padding
}
