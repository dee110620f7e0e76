//go:build amd64

package gnttab

import (
	"unsafe"

	"github.com/goxen/goxen/hypercall"
)

// The hypercalls that find and map this domain's table. Like package
// hypercall's wrappers they are NOSPLIT, keep their argument structures
// on their own stacks and allocate nothing. rc is Xen's raw return value
// (negative: -hypercall.Errno); a grant-table operation also reports a
// Status of its own.

// SetupTable asks Xen for the machine frames of the first len(mfns)
// frames of this domain's table (GNTTABOP_setup_table for DOMID_SELF),
// growing it if need be: a PV guest then maps them itself.
//
//go:nosplit
func SetupTable(mfns []uint64) (status Status, rc int) {
	if len(mfns) == 0 {
		return 0, 0
	}
	a := SetupTableArg{Dom: hypercall.DOMID_SELF, NrFrames: uint32(len(mfns)), FrameList: uint64(uintptr(unsafe.Pointer(&mfns[0])))}
	rc = hypercall.GrantTableOp(GNTTABOP_setup_table, unsafe.Pointer(&a), 1)
	return a.Status, rc
}

// QuerySize asks Xen how many frames this domain's table has now and how
// many it may grow to (GNTTABOP_query_size for DOMID_SELF).
//
//go:nosplit
func QuerySize() (nrFrames, maxNrFrames uint32, status Status, rc int) {
	a := QuerySizeArg{Dom: hypercall.DOMID_SELF}
	rc = hypercall.GrantTableOp(GNTTABOP_query_size, unsafe.Pointer(&a), 1)
	return a.NrFrames, a.MaxNrFrames, a.Status, rc
}

// GetVersion asks Xen which grant table version this domain uses
// (GNTTABOP_get_version for DOMID_SELF).
//
//go:nosplit
func GetVersion() (version uint32, rc int) {
	a := GetVersionArg{Dom: hypercall.DOMID_SELF}
	rc = hypercall.GrantTableOp(GNTTABOP_get_version, unsafe.Pointer(&a), 1)
	return a.Version, rc
}

// MapFrames asks Xen to place table frames 0..n-1 at guest frames
// gpfn..gpfn+n-1 (XENMEM_add_to_physmap, XENMAPSPACE_grant_table), growing
// the table if needed. It stops at the first failure and returns how many
// frames it mapped and that call's result; frames already mapped stay
// mapped. Whatever was at those guest frames is replaced.
//
//go:nosplit
func MapFrames(n uint32, gpfn uint64) (mapped uint32, rc int) {
	for i := uint32(0); i < n; i++ {
		if rc = hypercall.AddToPhysmap(hypercall.XENMAPSPACE_grant_table, uint64(i), gpfn+uint64(i)); rc != 0 {
			return i, rc
		}
	}
	return n, 0
}
