package hypercall

// Sizes and layouts for the xen_version and memory_op queries in
// info_amd64.go. Host tests check them (info_test.go).

// memory_op sub-operations that report a domain's allocation.
// xen/include/public/memory.h: XENMEM_current_reservation,
// XENMEM_maximum_reservation (arg == addr of domid_t; result in pages)
const (
	XENMEM_current_reservation = 3
	XENMEM_maximum_reservation = 4
)

// Sizes of the xen_version argument structures.
// xen/include/public/version.h: xen_extraversion_t (char[16]),
// xen_changeset_info_t (char[64]), xen_compile_info_t (four char arrays)
const (
	XenExtraversionSize = 16
	XenChangesetSize    = 64
	XenCompileInfoSize  = 64 + 16 + 32 + 32
)

// XenCompileInfo is the decoded xen_compile_info_t.
// xen/include/public/version.h: struct xen_compile_info
type XenCompileInfo struct {
	Compiler, By, Domain, Date string
}

// DecodeCompileInfo splits a XENVER_compile_info buffer (at least
// XenCompileInfoSize bytes) into its NUL-terminated fields.
func DecodeCompileInfo(b []byte) (XenCompileInfo, bool) {
	if len(b) < XenCompileInfoSize {
		return XenCompileInfo{}, false
	}
	return XenCompileInfo{
		Compiler: CString(b[0:64]),
		By:       CString(b[64:80]),
		Domain:   CString(b[80:112]),
		Date:     CString(b[112:144]),
	}, true
}

// CString is the text of b up to its first NUL (all of b if none).
func CString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// xenVersionArgSize is how many bytes Xen writes for sub-operation cmd;
// for the ones this package does not size, 1 (a buffer must not be
// empty).
//
//go:nosplit
func xenVersionArgSize(cmd uint32) int {
	switch cmd {
	case XENVER_extraversion:
		return XenExtraversionSize
	case XENVER_changeset:
		return XenChangesetSize
	case XENVER_compile_info:
		return XenCompileInfoSize
	}
	return 1
}

// EvtchnBindInterdomainArg is the argument of EVTCHNOP_bind_interdomain.
// LocalPort is written by Xen.
// xen/include/public/event_channel.h: struct evtchn_bind_interdomain
type EvtchnBindInterdomainArg struct {
	RemoteDom  uint16 // IN: domid_t; DOMID_SELF for a loopback
	_          uint16 // C padding before the uint32
	RemotePort uint32 // IN
	LocalPort  uint32 // OUT
}
