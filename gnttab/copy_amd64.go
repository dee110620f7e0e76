//go:build amd64

package gnttab

import (
	"unsafe"

	"github.com/goxen/goxen/hypercall"
)

// CopyFromGrant asks Xen to copy n bytes from the frame this domain
// granted as ref (to itself: the entry's domid must be this domain's own
// id) into this domain's frame gfn, and returns the copy's status and
// the hypercall's result (0, or -Errno when Xen refused the whole
// operation; status is then not meaningful).
//
// xen/include/public/grant_table.h: GNTTABOP_copy, struct gnttab_copy
//
//go:nosplit
func CopyFromGrant(ref Ref, gfn uint64, n uint16) (Status, int) {
	a := CopyArg{
		Source: CopyPtr{U: uint64(ref), Domid: hypercall.DOMID_SELF},
		Dest:   CopyPtr{U: gfn, Domid: hypercall.DOMID_SELF},
		Len:    n,
		Flags:  GNTCOPY_source_gref,
	}
	rc := hypercall.GrantTableOp(GNTTABOP_copy, unsafe.Pointer(&a), 1)
	return a.Status, rc
}
