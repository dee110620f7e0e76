package xenstore

import (
	"github.com/goxen/goxen/internal/numfmt"
	"github.com/goxen/goxen/internal/ring"
)

// Error is the type of the package's fixed errors. They are constants, so
// returning one needs neither the heap nor a package initialiser (the kernel
// calls the ring and message code from system-call handlers).
type Error string

func (e Error) Error() string { return string(e) }

const (
	// ErrNoPage is returned when Ring.Page is nil.
	ErrNoPage Error = "xenstore: Ring.Page is nil"
	// ErrNoWait is returned when the ring would have to be waited for
	// (req[] full, or a reconnect in progress) and Ring.Wait is nil. The
	// bytes counted by Write's n were delivered; the rest were not taken.
	ErrNoWait Error = "xenstore: the ring must be waited for and Ring.Wait is nil"
	// ErrNoReconnect is returned by Ring.Reconnect when the server has not
	// advertised XENSTORE_SERVER_FEATURE_RECONNECTION.
	ErrNoReconnect Error = "xenstore: the server does not offer XENSTORE_SERVER_FEATURE_RECONNECTION"
	// ErrShortBuffer is returned when a buffer cannot hold a message header.
	ErrShortBuffer Error = "xenstore: buffer shorter than a message header (16 bytes)"
	// ErrClosed is returned by a Client or RingTransport after Close.
	ErrClosed Error = "xenstore: use of a closed client or transport"
	// ErrNUL is returned by Client methods given a path, value-less field or
	// token containing a NUL byte, which would split it into two fields.
	ErrNUL Error = "xenstore: path or token contains a NUL byte"
	// ErrTxEnded is returned by a Tx used after End.
	ErrTxEnded Error = "xenstore: transaction already ended"
)

// Errors of ValidateRequest: a request that xenstored would refuse, or that
// would make it drop the connection.
const (
	ErrPayloadTooLong Error = "xenstore: request payload longer than XENSTORE_PAYLOAD_MAX (4096 bytes)"
	ErrLenMismatch    Error = "xenstore: request header len differs from its payload length"
	ErrServerOnlyType Error = "xenstore: XS_WATCH_EVENT and XS_ERROR are sent only by the server"
	ErrInvalidType    Error = "xenstore: XS_INVALID is never a valid message type"
	ErrEmptyPath      Error = "xenstore: request path is empty"
	ErrAbsPathTooLong Error = "xenstore: absolute path longer than XENSTORE_ABS_PATH_MAX (3072 bytes)"
	ErrRelPathTooLong Error = "xenstore: relative path longer than XENSTORE_REL_PATH_MAX (2048 bytes)"
	ErrUnterminated   Error = "xenstore: request field is not NUL-terminated"
	ErrFieldCount     Error = "xenstore: wrong number of NUL-terminated fields for the request type"
	ErrTxStartTxID    Error = "xenstore: XS_TRANSACTION_START must carry tx_id 0"
	ErrTxEndPayload   Error = "xenstore: XS_TRANSACTION_END payload must be \"T\\x00\" or \"F\\x00\""
)

// RingID names one of the two byte queues on the page. It is an integer,
// not a string, so that building an error in a Ring stores no pointer.
type RingID uint8

const (
	RingReq RingID = iota // req[]: requests, guest -> server
	RingRsp               // rsp[]: replies and watch events, server -> guest
)

func (id RingID) String() string {
	if id == RingReq {
		return "req"
	}
	return "rsp"
}

// IndexError reports ring indices that no honest server produces: more
// bytes in flight (Prod-Cons, modulo 2^32) than the 1024-byte queue holds.
// That covers a consumer index ahead of the producer and one too far behind.
type IndexError struct {
	Ring       RingID // which queue
	Prod, Cons uint32 // the snapshot that failed the check
}

// Error returns, for example,
// "xenstore: hostile rsp ring indices: prod=0x10 cons=0x20 (0xfffffff0 > 1024 in flight)".
// It allocates the string; code that may not allocate uses AppendError.
func (e *IndexError) Error() string {
	var buf [128]byte
	return string(e.AppendError(buf[:0]))
}

// AppendError appends the text of Error to b. It does not allocate when b
// has room for it (under 100 bytes).
func (e *IndexError) AppendError(b []byte) []byte {
	return ring.AppendIndexError(b, "xenstore", e.Ring.String(), e.Prod, e.Cons, XENSTORE_RING_SIZE)
}

// ConnectionError reports a page whose connection field is not
// XENSTORE_CONNECTED. While a reconnect is in progress the guest must ignore
// every other field, so the ring is not touched.
type ConnectionError struct {
	Connection uint32 // the value read: XENSTORE_RECONNECT, or junk
	Waits      uint32 // Wait calls spent waiting for XENSTORE_CONNECTED (0: did not wait)
}

// Error returns, for example, "xenstore: ring not connected after 100
// waits: connection=1 (XENSTORE_RECONNECT, a reconnect is in progress)".
func (e *ConnectionError) Error() string {
	var buf [128]byte
	return string(e.AppendError(buf[:0]))
}

// AppendError appends the text of Error to b, without allocating when b has
// room (about 110 bytes).
func (e *ConnectionError) AppendError(b []byte) []byte {
	b = append(b, "xenstore: ring not connected"...)
	if e.Waits > 0 {
		b = append(b, " after "...)
		b = numfmt.AppendDec(b, e.Waits)
		b = append(b, " waits"...)
	}
	b = append(b, ": connection="...)
	b = numfmt.AppendDec(b, e.Connection)
	if e.Connection == XENSTORE_RECONNECT {
		b = append(b, " (XENSTORE_RECONNECT, a reconnect is in progress)"...)
	} else {
		b = append(b, " (not a defined value)"...)
	}
	return b
}

// ServerError reports the page's error field: the server detected a problem
// with this connection and stopped serving the ring. Only read when the
// server advertises XENSTORE_SERVER_FEATURE_ERROR.
type ServerError struct {
	Code uint32 // XENSTORE_ERROR_*, or a value newer than this package
}

// Error returns, for example, "xenstore: server stopped serving the ring:
// error=3 (XENSTORE_ERROR_PROTO, protocol violation)".
func (e *ServerError) Error() string {
	var buf [128]byte
	return string(e.AppendError(buf[:0]))
}

// AppendError appends the text of Error to b, without allocating when b has
// room (about 100 bytes).
func (e *ServerError) AppendError(b []byte) []byte {
	b = append(b, "xenstore: server stopped serving the ring: error="...)
	b = numfmt.AppendDec(b, e.Code)
	switch e.Code {
	case XENSTORE_ERROR_COMM:
		b = append(b, " (XENSTORE_ERROR_COMM, communication problem)"...)
	case XENSTORE_ERROR_RINGIDX:
		b = append(b, " (XENSTORE_ERROR_RINGIDX, invalid ring index)"...)
	case XENSTORE_ERROR_PROTO:
		b = append(b, " (XENSTORE_ERROR_PROTO, protocol violation)"...)
	default:
		b = append(b, " (unknown code)"...)
	}
	return b
}

// LengthError reports a message header whose len exceeds
// XENSTORE_PAYLOAD_MAX. The byte stream it came from has lost its framing:
// nothing after the header can be trusted to start a message, so the
// connection cannot be used any more (xenstored itself drops a client that
// does this).
type LengthError struct {
	Header Header // the offending header, as received
}

// Error returns, for example, "xenstore: message header announces a
// 5000-byte payload, more than XENSTORE_PAYLOAD_MAX (4096) (type 2 XS_READ,
// req_id 7, tx_id 0); the stream has lost its framing and is unusable".
func (e *LengthError) Error() string {
	var buf [256]byte
	return string(e.AppendError(buf[:0]))
}

// AppendError appends the text of Error to b, without allocating when b has
// room (about 200 bytes).
func (e *LengthError) AppendError(b []byte) []byte {
	b = append(b, "xenstore: message header announces a "...)
	b = numfmt.AppendDec(b, e.Header.Len)
	b = append(b, "-byte payload, more than XENSTORE_PAYLOAD_MAX (4096) (type "...)
	b = numfmt.AppendDec(b, e.Header.Type)
	b = append(b, ' ')
	b = append(b, TypeName(e.Header.Type)...)
	b = append(b, ", req_id "...)
	b = numfmt.AppendDec(b, e.Header.ReqID)
	b = append(b, ", tx_id "...)
	b = numfmt.AppendDec(b, e.Header.TxID)
	b = append(b, "); the stream has lost its framing and is unusable"...)
	return b
}
