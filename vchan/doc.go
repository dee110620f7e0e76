// Package vchan is libxenvchan's protocol: a byte stream between two
// domains over rings in shared pages, for more bandwidth than a console
// ring gives. Xen's libxenvchan (tools/libs/vchan) speaks it in C, and
// Xen's vchan-socket-proxy turns one end into a Unix socket in dom0.
//
// # The shared page
//
// One side, the server, shares a page laid out as struct vchan_interface
// (xen/include/public/io/libxenvchan.h):
//
//	offset 0   left   {cons, prod uint32}   the ring the client writes and the server reads
//	offset 8   right  {cons, prod uint32}   the ring the server writes and the client reads
//	offset 16  left_order, right_order uint16   log2 of each ring's size
//	offset 20  cli_live, srv_live uint8   1 connected, 0 gone, 2 (cli_live) not yet connected
//	offset 22  cli_notify, srv_notify uint8   events the other side asked for
//	offset 24  grants[]   the ring pages' grant references, left's then right's
//
// A ring of order 10 or 11 lives inside this page (at offset 1024 or
// 2048); a larger one (order 12 and up) in pages of its own, each granted
// to the client and listed in grants[].
//
// The server puts the page's grant reference and an unbound event channel
// in xenstore, at <path>/ring-ref and <path>/event-channel, readable by
// the peer, in one transaction (as libxenvchan's init_xs_srv does, so a
// client never finds one key without the other); the client maps the page, binds the port, sets cli_live to 1
// and sends an event.
//
// # Events, asked for
//
// An event is sent only when the other side asked for one: a reader that
// finds its ring empty sets VCHAN_NOTIFY_WRITE in the other side's notify
// byte ("tell me when you write"), a writer that finds its ring full sets
// VCHAN_NOTIFY_READ; each side, after moving an index, clears the bit in
// its own byte and sends an event only if it was set. Indices are
// free-running uint32s, as in Xen's other rings.
//
// Listen returns an io.ReadWriteCloser over this, on /dev/xen/xenbus,
// /dev/xen/gntalloc and /dev/xen/evtchn: a read blocks until the peer
// writes (woken by the event channel), a write while the ring is full,
// and Close marks the server gone (srv_live 0) and notifies the peer.
// Reads return io.EOF when the client has closed (cli_live 0) and the
// ring is empty; a client that has not connected yet (cli_live 2) is
// waited for, as libxenvchan_is_open counts it open.
package vchan
