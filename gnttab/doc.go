// Package gnttab is Xen's grant tables, version 1: how a guest lets
// another domain reach one of its pages.
//
// # Why grants exist
//
// Domains do not share memory by default. A split driver, though, needs
// exactly that: a frontend in this guest (a network card, a disk) puts
// requests on a ring in one of its own pages, and the backend in another
// domain (usually dom0) must read and write that page. A grant is the
// guest's written permission for that: "domain D may use my frame F,
// read-only or read-write". The guest keeps its grants in its grant
// table, an array of entries in pages it shares with Xen; a grant
// reference (grant_ref_t, Ref here) is simply an index into that array.
// The guest passes the reference to the other domain (through xenstore,
// for instance), and that domain asks Xen to map the granted frame
// (GNTTABOP_map_grant_ref) or to copy to or from it (GNTTABOP_copy),
// naming the granting domain and the reference. Xen looks the entry up,
// checks that it really grants access to the asking domain, and only then
// lets it through. Neither side ever learns the other's machine addresses.
//
// # A version 1 entry
//
// An entry (EntryV1, grant_entry_v1_t in xen/include/public/grant_table.h)
// is 8 bytes, so a 4 KiB frame of the table holds 512 of them:
//
//	flags  uint16  GTF_*: what the entry grants; partly written by Xen
//	domid  uint16  the domain being granted access (the grantee)
//	frame  uint32  the guest frame number it may map; for a PVH or HVM
//	               guest this is a guest physical frame (GFN)
//
// The low two bits of flags are the type. GTF_invalid (0) grants
// nothing; GTF_permit_access lets domid map or copy frame. GTF_readonly,
// which the guest sets too, limits the grantee to reading. GTF_reading and
// GTF_writing belong to Xen: it sets them while the grantee has the frame
// mapped (or is in the middle of a copy) for reading or for writing, and
// clears them when the last such use ends. They are how the granting
// guest can tell whether its page is still in someone else's hands.
//
// # Granting and revoking safely
//
// The header spells out an order, because Xen may read an entry at any
// moment. To grant, the guest writes domid and frame first and the flags
// last, with a memory barrier between (the header's WMB, not to be confused
// with the garbage collector's write barriers): Xen must never find
// GTF_permit_access next to a domid or frame left over from an earlier
// use of the entry. Table.Grant does this.
//
// To revoke, the guest must know that nobody is using the frame, and
// must learn it in the same step that stops anyone from starting to:
// otherwise Xen could set GTF_reading between the guest's check and its
// write. So revocation is an atomic compare-and-swap of the flags, from a
// value without GTF_reading and GTF_writing to 0. If either bit is set,
// the grantee still has the page mapped and the grant cannot be taken back
// by the guest alone. The page must then stay out of use, since whatever
// the guest writes there next would be visible to (or overwritten by) the
// other domain. A driver normally waits for the backend to say it has
// unmapped (its xenbus state, a ring message) and tries again. Table.Revoke
// reports this case as an *InUseError and keeps the entry granted.
//
// # Reserved entries
//
// The first GNTTAB_NR_RESERVED_ENTRIES (8) references are not the
// guest's to hand out. The toolstack may fill some of them when it builds
// the domain: GNTTAB_RESERVED_CONSOLE (0) grants the console ring page to
// the console daemon's domain and GNTTAB_RESERVED_XENSTORE (1) grants the
// xenstore ring page to xenstored's domain, so that those daemons can map
// the rings by grant reference instead of needing privileged access to
// the guest's memory. Reserved entries also survive a change of table
// version. Table never allocates them and refuses to revoke them.
//
// # Where the table lives
//
// The table's frames belong to Xen, which allocates them for the domain.
// A PV guest learns their machine frames with GNTTABOP_setup_table and
// maps them through its page tables. A PVH or HVM guest has no machine
// frames in its page tables; instead it chooses guest frame numbers for
// the table and asks Xen to place the frames there, one call per frame:
// XENMEM_add_to_physmap with space XENMAPSPACE_grant_table, idx the frame's
// number within the table (0, 1, 2, ...) and gpfn a guest frame of the
// guest's choosing (MapFrames). Whatever RAM page was at that gpfn is
// removed from the guest, so the guest either gives up pages it owns or
// uses a hole in its physical address space. Mapping an idx beyond the
// current size makes Xen grow the table, with zeroed entries, up to the
// domain's maximum.
//
// GNTTABOP_query_size (QuerySize) reports the current number of frames
// and that maximum, which the toolstack fixes when it creates the domain
// (max_grant_frames in xl.cfg; Xen's default is 64 frames, 32768 v1
// entries, which is also MaxFrames here).
//
// # Version 1 and version 2
//
// Every domain starts with version 1 tables; GNTTABOP_set_version can
// switch to version 2 only before any grant is active, and
// GNTTABOP_get_version tells which one is in force. A v2 entry is 16 bytes
// with a 64-bit frame number, and adds grants of part of a page and
// transitive grants (passing on a grant received from a third domain). v2
// also moves GTF_reading and GTF_writing out of the entries into separate
// status frames (mapped with XENMAPIDX_grant_table_status or'd into idx),
// so the guest can revoke with plain writes and barriers instead of a
// compare-and-swap. This package implements v1 only: its 32-bit frame
// field reaches guest frames below 2^32, that is 16 TiB of guest physical
// address space, which is plenty for a goxen guest, and v1 is what every
// Xen offers (a host may be configured to refuse v2).
//
// # This package
//
// The structures (EntryV1, QuerySizeArg, ...) mirror the C layouts and
// are checked against them by tests, as in package hypercall. Table keeps
// the guest's side of a mapped v1 table: which references are free, which
// it has granted. Its Grant and Revoke allocate nothing and execute no GC
// write barriers, so the kernel may call them where the Go heap is off
// limits. QuerySize, GetVersion and MapFrames (amd64) are the hypercalls
// that find and map the table.
//
// A Table is not safe for concurrent use: its callers must serialise
// Grant, Revoke and the other methods (one lock around the table, or one
// goroutine that owns it). What Table does handle is the concurrency that
// matters for correctness, Xen and the grantee updating the same entries
// from other CPUs at any moment.
package gnttab
