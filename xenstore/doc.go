// Package xenstore speaks XenStore, Xen's configuration database, with the
// wire protocol of xen/include/public/io/xs_wire.h: the guest end of the
// shared ring page, message framing, and a client for ordinary Go programs.
//
// # What xenstore is
//
// Domains on a Xen host have no shared file system and no network until
// someone sets them up, yet the toolstack must tell a new guest its name,
// its devices, when to shut down; a network or disk frontend in the guest
// must find its backend in dom0 and agree on ring pages and event channels.
// All of that control-plane traffic goes through one small database, served
// by the xenstored daemon (in dom0, or a stub domain). It holds short text
// values in a tree, can notify clients when part of the tree changes, and
// offers transactions. It is not meant for bulk data.
//
// # The tree
//
// Paths look like file names: "/local/domain/3/name". Every node has a value
// (possibly empty) and may have children, so there is no file/directory
// distinction; creating a node creates its missing parents. Each domain
// has a home directory, /local/domain/<domid>, and a path without a leading
// "/" is relative to it: domain 3 writing "data/x" writes
// /local/domain/3/data/x. Typical keys of a guest: "name", "domid",
// "control/shutdown" (the toolstack writes "poweroff" or "reboot" there),
// "device/vif/0/..." (a network frontend's half of the handshake), and
// "data/", the conventional area a guest may write to.
//
// Each node carries a permission list, like "n0 r5": the first entry names
// the owner (domain 0 here), who may do anything, and, by its letter, the
// access of every domain not listed; later entries grant a domain r (read),
// w (write), b (both) or n (nothing). Dom0 may access everything. The
// special paths "@introduceDomain" and "@releaseDomain" are not nodes; they
// exist to be watched, and fire when domains appear and go away.
//
// # Messages
//
// Every message in either direction is a 16-byte header, struct
// xsd_sockmsg (Header here): type, req_id, tx_id and len, each a uint32 in
// the machine's byte order (little endian on every Xen architecture), then
// len bytes of payload, at most XENSTORE_PAYLOAD_MAX (4096). Payloads are
// mostly NUL-terminated strings: XS_READ carries "path\0" and is answered by
// the value; XS_WRITE carries "path\0" followed by the value's raw bytes;
// XS_DIRECTORY is answered by the children's names, each NUL-terminated.
// Paths are limited to XENSTORE_ABS_PATH_MAX (3072) bytes, or
// XENSTORE_REL_PATH_MAX (2048) for relative ones.
//
// The client picks req_id; the reply carries the same type, req_id and
// tx_id. A failed request is answered instead by type XS_ERROR, whose
// payload is the errno's name as a string ("ENOENT\0"), from the table
// xsd_errors in xs_wire.h, so that the numbers of different operating
// systems never meet (Errno here). Replies may come in any order.
//
// A header announcing more than XENSTORE_PAYLOAD_MAX bytes is fatal:
// xenstored drops a client that sends one, and a reader receiving one can no
// longer tell where the next message starts (LengthError).
//
// # Watches
//
// XS_WATCH registers a path and a token (any string the client chooses).
// Whenever that path or anything below it is created, changed, removed, or
// has its permissions changed, xenstored sends an XS_WATCH_EVENT carrying
// the changed path and the token. These arrive unsolicited, interleaved with
// replies; the token, not req_id, says which watch they belong to. A new
// watch fires once straight away, for the watched path itself, and watches
// may fire spuriously, so a client re-reads what it cares about on each
// event rather than trusting the event to describe the change.
//
// # Transactions
//
// XS_TRANSACTION_START returns a transaction id; requests carrying it in
// tx_id see a private snapshot of the tree and change only that snapshot.
// XS_TRANSACTION_END with "T" commits (with "F" discards); if anything else
// changed the store in the meantime the commit fails with EAGAIN and the
// client starts over. Watches fire for a transaction's changes only when it
// commits.
//
// # Reaching xenstore from a guest
//
// A guest kernel talks to xenstored through a shared page and an event
// channel, set up by the toolstack when it builds the domain. An HVM or PVH
// guest asks Xen for them with HVMOP_get_param: HVM_PARAM_STORE_PFN (1) is
// the page's frame number, HVM_PARAM_STORE_EVTCHN (2) the event channel
// (xen/include/public/hvm/params.h); a PV guest finds them in start_info
// (store_mfn, store_evtchn). The page is also granted to xenstored with the
// reserved grant reference GNTTAB_RESERVED_XENSTORE (1).
//
// The page holds struct xenstore_domain_interface (Interface here): two
// 1024-byte (XENSTORE_RING_SIZE) circular queues, req for messages to the
// server and rsp for replies and events, each with a producer and a
// consumer index. The indices are free-running 32-bit counters: the bytes
// in flight are prod - cons modulo 2^32, the position in the queue is
// idx & 1023. A message may straddle the end of a queue, and a message
// longer than a queue (up to 4112 bytes) crosses it in several batches.
// After changing an index a side signals the event channel. The page is not
// trusted: prod - cons larger than the queue cannot come from an honest
// peer (IndexError), and every index is masked before use.
//
// Three more words follow the indices. server_features is a bitmap the
// server sets (XENSTORE_SERVER_FEATURE_*). connection lets a guest ask for
// the ring to be reset: it stores XENSTORE_RECONNECT, signals, and waits for
// the server to empty both queues, forget the connection's requests,
// watches and transactions, and store XENSTORE_CONNECTED again; in between
// nothing else on the page may be used. A guest can also find a reset
// already in progress when it starts (dom0less domains begin that way).
// error, when the server advertises XENSTORE_SERVER_FEATURE_ERROR, says why
// the server stopped serving the ring (XENSTORE_ERROR_COMM,
// XENSTORE_ERROR_RINGIDX, XENSTORE_ERROR_PROTO).
//
// Processes do not use the page: the kernel owns it. Linux gives them
// /dev/xen/xenbus, a character device carrying the same messages as a byte
// stream (the kernel multiplexes them onto its ring), and in dom0
// xenstored also listens on a Unix socket, /var/run/xenstored/socket. A
// dom0 started by Xen on its own (the box's dom0 mode) has no xenstore at
// all until a toolstack starts xenstored.
//
// # This package
//
// The package has three layers.
//
// The wire layer: Xen's constants under Xen's names (XS_READ,
// XENSTORE_PAYLOAD_MAX, ...), Interface, Header with Encode and
// DecodeHeader, ValidateRequest, Errno, and the permission strings (Perm).
//
// The kernel layer: Ring, the guest end of the page (Write into req, Read
// from rsp, Kick once per batch, Wait when full, WaitConnected and
// Reconnect for the connection field), and Framer, which cuts the rsp byte
// stream into messages in a fixed buffer. These, with the header codec,
// ValidateRequest and the ring's error types, never allocate and never store
// a Go pointer into memory that could need a GC write barrier, on any path:
// the goxen kernel calls them from system-call handlers, where the heap and
// write barriers are unusable. Their errors are kept inside the Ring or
// Framer, built from integers only, and returned by pointer. Their files
// (interface.go, errors.go, header.go, ring.go, framer.go, request.go) import
// nothing but sync/atomic and the module's internal/ring and internal/numfmt
// (which import nothing); the tests check the compiled code for barriers and
// measure allocations.
//
// The client layer: Client, for ordinary Go programs, over any
// io.ReadWriteCloser that carries the wire format, so the same code runs in
// a goxen guest (whose kernel offers /dev/xen/xenbus), in a Linux domU and
// in dom0. Open finds the device or xenstored's socket; New takes any
// transport; RingTransport adapts a Ring for programs (and tests) that drive
// a page themselves. The Client allocates request ids, matches replies to
// requests in a reader goroutine, hands watch events to Watch channels,
// bounds every request with a context or a timeout, retries transactions on
// EAGAIN (Transact), and declares the connection dead, failing every waiter,
// when the transport fails or the stream loses its framing.
package xenstore
