package xenstore

// xs_wire.h: XENSTORE_RING_SIZE, the size of each of the two byte queues
// on the shared page. It is a power of two, which lets the free-running
// indices be reduced to a buffer offset with a mask (MASK_XENSTORE_IDX).
const XENSTORE_RING_SIZE = 1024

// xs_wire.h: limits. A payload longer than XENSTORE_PAYLOAD_MAX makes
// xenstored drop the connection (on a ring it also sets the page's error
// field to XENSTORE_ERROR_PROTO); over-long paths only earn an error reply.
const (
	XENSTORE_PAYLOAD_MAX  = 4096 // bytes after the header, in both directions
	XENSTORE_ABS_PATH_MAX = 3072 // an absolute path ("/local/domain/3/name"), without its NUL
	XENSTORE_REL_PATH_MAX = 2048 // a relative path ("name", meaning /local/domain/<self>/name)
)

// xs_wire.h: bits of xenstore_domain_interface.server_features. The
// server only ever sets bits; the guest never writes the field.
const (
	XENSTORE_SERVER_FEATURE_RECONNECTION = 1 // the connection field can be used to reset the ring
	XENSTORE_SERVER_FEATURE_ERROR        = 2 // the error field is maintained
	XENSTORE_SERVER_FEATURE_WATCHDEPTH   = 4 // XS_WATCH takes a third, <depth>, field (Xen 4.22)
	XENSTORE_SERVER_FEATURE_DOMID_ANY    = 8 // permissions may name DOMID_ANY (Xen 4.22)
)

// xs_wire.h: values of xenstore_domain_interface.connection. Only the
// guest moves it to XENSTORE_RECONNECT, only the server moves it back.
const (
	XENSTORE_CONNECTED = 0 // the steady state
	XENSTORE_RECONNECT = 1 // a reset is in progress: nothing else on the page is valid
)

// xs_wire.h: values of xenstore_domain_interface.error. Any value other than
// XENSTORE_ERROR_NONE means the server has stopped serving the ring; the
// values are diagnostic and new ones may appear.
const (
	XENSTORE_ERROR_NONE    = 0 // no error
	XENSTORE_ERROR_COMM    = 1 // communication problem (the event channel does not work)
	XENSTORE_ERROR_RINGIDX = 2 // the guest's ring indices were inconsistent
	XENSTORE_ERROR_PROTO   = 3 // protocol violation (a payload longer than XENSTORE_PAYLOAD_MAX)
)

// Interface is the shared xenstore page, laid out exactly like
// xs_wire.h: struct xenstore_domain_interface. Offsets are the same on every
// architecture (chars and uint32_t only).
//
// The guest owns ReqProd and RspCons (and may set Connection to
// XENSTORE_RECONNECT); the server owns ReqCons, RspProd, ServerFeatures,
// Error and sets Connection back to XENSTORE_CONNECTED. Either side can
// write anything, so every value read from here is untrusted. Access the
// integer fields only through sync/atomic (Ring does).
type Interface struct {
	Req            [XENSTORE_RING_SIZE]byte // 0x000: requests, guest -> server
	Rsp            [XENSTORE_RING_SIZE]byte // 0x400: replies and watch events, server -> guest
	ReqCons        uint32                   // 0x800: advanced by the server
	ReqProd        uint32                   // 0x804: advanced by the guest
	RspCons        uint32                   // 0x808: advanced by the guest
	RspProd        uint32                   // 0x80C: advanced by the server
	ServerFeatures uint32                   // 0x810: XENSTORE_SERVER_FEATURE_* bits
	Connection     uint32                   // 0x814: XENSTORE_CONNECTED or XENSTORE_RECONNECT
	Error          uint32                   // 0x818: XENSTORE_ERROR_*, if XENSTORE_SERVER_FEATURE_ERROR

	// EvtchnPort is the guest's event channel for the server to signal,
	// filled in by Xen for dom0less/Hyperlaunch domains and used only
	// when non-zero. The field appeared in Xen 4.21; before that these
	// bytes are unused (zero) space in the page. Ring does not use it.
	EvtchnPort uint32 // 0x81C
}

// maskIdx is MASK_XENSTORE_IDX, which Ring applies through package
// internal/ring (ring.Put, ring.Get) to reach req[] and rsp[]; the tests use
// it to index the page the way the server does.
func maskIdx(idx uint32) uint32 { return idx & (XENSTORE_RING_SIZE - 1) }
