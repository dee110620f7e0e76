package xenstore

// xs_wire.h: enum xsd_sockmsg_type, the type field of every message.
// Value 20 (XS_RESTRICT) was removed and is invalid; XS_GET_FEATURE and
// later appeared in Xen 4.21 and are optional for a server to support. A
// server answers a type it does not support with XS_ERROR "ENOSYS".
const (
	XS_CONTROL              = 0 // implementation-specific commands (xenstore-control)
	XS_DEBUG                = 0 // deprecated name of XS_CONTROL
	XS_DIRECTORY            = 1
	XS_READ                 = 2
	XS_GET_PERMS            = 3
	XS_WATCH                = 4
	XS_UNWATCH              = 5
	XS_TRANSACTION_START    = 6
	XS_TRANSACTION_END      = 7
	XS_INTRODUCE            = 8
	XS_RELEASE              = 9
	XS_GET_DOMAIN_PATH      = 10
	XS_WRITE                = 11
	XS_MKDIR                = 12
	XS_RM                   = 13
	XS_SET_PERMS            = 14
	XS_WATCH_EVENT          = 15 // server -> client only, unsolicited
	XS_ERROR                = 16 // server -> client only, in place of a reply
	XS_IS_DOMAIN_INTRODUCED = 17
	XS_RESUME               = 18
	XS_SET_TARGET           = 19
	XS_RESET_WATCHES        = 21
	XS_DIRECTORY_PART       = 22
	XS_GET_FEATURE          = 23
	XS_SET_FEATURE          = 24
	XS_GET_QUOTA            = 25
	XS_SET_QUOTA            = 26
	XS_TYPE_COUNT           = 27     // number of type values defined so far
	XS_INVALID              = 0xffff // guaranteed never to be a valid type
)

// xs_wire.h: enum xs_watch_type, the positions of the NUL-terminated fields
// in an XS_WATCH_EVENT payload.
const (
	XS_WATCH_PATH  = 0 // the path that changed
	XS_WATCH_TOKEN = 1 // the token given to XS_WATCH
)

// HeaderSize is sizeof(struct xsd_sockmsg).
const HeaderSize = 16

// MaxMessage is the longest valid message, header included.
const MaxMessage = HeaderSize + XENSTORE_PAYLOAD_MAX

// Header is xs_wire.h: struct xsd_sockmsg, the 16 bytes in front of every
// message: four uint32 in the byte order of the machine, which is little
// endian on every architecture Xen runs on (x86, Arm, RISC-V) and on which
// this package is used.
type Header struct {
	Type  uint32 // XS_*
	ReqID uint32 // chosen by the client, echoed in the reply
	TxID  uint32 // transaction id, 0 outside a transaction
	Len   uint32 // payload bytes that follow the header
}

// Encode writes h into the first 16 bytes of b. It returns ErrShortBuffer,
// writing nothing, if b is shorter.
func (h Header) Encode(b []byte) error {
	if len(b) < HeaderSize {
		return ErrShortBuffer
	}
	put32(b[0:4], h.Type)
	put32(b[4:8], h.ReqID)
	put32(b[8:12], h.TxID)
	put32(b[12:16], h.Len)
	return nil
}

// DecodeHeader reads a header from the first 16 bytes of b. It does not
// judge the values: the caller checks Len against XENSTORE_PAYLOAD_MAX
// (Framer does).
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, ErrShortBuffer
	}
	return Header{
		Type:  get32(b[0:4]),
		ReqID: get32(b[4:8]),
		TxID:  get32(b[8:12]),
		Len:   get32(b[12:16]),
	}, nil
}

func put32(b []byte, v uint32) {
	_ = b[3]
	b[0] = byte(v)
	b[1] = byte(v >> 8)
	b[2] = byte(v >> 16)
	b[3] = byte(v >> 24)
}

func get32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// typeNames is indexed by message type; "" marks a hole.
var typeNames = [XS_TYPE_COUNT]string{
	XS_CONTROL:              "XS_CONTROL",
	XS_DIRECTORY:            "XS_DIRECTORY",
	XS_READ:                 "XS_READ",
	XS_GET_PERMS:            "XS_GET_PERMS",
	XS_WATCH:                "XS_WATCH",
	XS_UNWATCH:              "XS_UNWATCH",
	XS_TRANSACTION_START:    "XS_TRANSACTION_START",
	XS_TRANSACTION_END:      "XS_TRANSACTION_END",
	XS_INTRODUCE:            "XS_INTRODUCE",
	XS_RELEASE:              "XS_RELEASE",
	XS_GET_DOMAIN_PATH:      "XS_GET_DOMAIN_PATH",
	XS_WRITE:                "XS_WRITE",
	XS_MKDIR:                "XS_MKDIR",
	XS_RM:                   "XS_RM",
	XS_SET_PERMS:            "XS_SET_PERMS",
	XS_WATCH_EVENT:          "XS_WATCH_EVENT",
	XS_ERROR:                "XS_ERROR",
	XS_IS_DOMAIN_INTRODUCED: "XS_IS_DOMAIN_INTRODUCED",
	XS_RESUME:               "XS_RESUME",
	XS_SET_TARGET:           "XS_SET_TARGET",
	XS_RESET_WATCHES:        "XS_RESET_WATCHES",
	XS_DIRECTORY_PART:       "XS_DIRECTORY_PART",
	XS_GET_FEATURE:          "XS_GET_FEATURE",
	XS_SET_FEATURE:          "XS_SET_FEATURE",
	XS_GET_QUOTA:            "XS_GET_QUOTA",
	XS_SET_QUOTA:            "XS_SET_QUOTA",
}

// TypeName returns Xen's name for a message type ("XS_READ"), "XS_INVALID"
// for 0xffff, and "unknown" for anything else (20, the removed XS_RESTRICT,
// included). It does not allocate.
func TypeName(t uint32) string {
	if t < XS_TYPE_COUNT && typeNames[t] != "" {
		return typeNames[t]
	}
	if t == XS_INVALID {
		return "XS_INVALID"
	}
	return "unknown"
}
