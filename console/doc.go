// Package console drives the Xen paravirtual console ring: the way a guest
// domain prints text and reads keystrokes without any emulated hardware.
//
// # The page
//
// The console is one 4 KiB page of ordinary guest memory that the guest and
// the console backend both map. Its layout is struct xencons_interface from
// xen/include/public/io/console.h, mirrored here as Interface: a 1024-byte
// buffer "in" carrying input to the guest, a 2048-byte buffer "out" carrying
// output from the guest, and four 32-bit indices, one producer and one
// consumer index per buffer. The producer of a buffer writes bytes and then
// advances its producer index; the consumer reads bytes and then advances its
// consumer index. Each side only ever writes its own index, so no lock is
// needed, only care about the order in which memory is written (see package
// internal/ring, which drives the copies of all of Xen's byte rings).
//
// # Who is on the other end
//
// The backend is normally xenconsoled, a daemon in dom0 (or in a driver
// domain). When the toolstack builds the guest it records the page and the
// event channel in xenstore, where xenconsoled picks them up. It copies "out"
// to a pty, which is what "xl console" attaches to, and/or to a log file, and
// copies what you type into "in".
//
// # Kicking
//
// Writing to the page does not wake anyone. After publishing data the guest
// sends an event on the console's event channel (EVTCHNOP_send, an
// event_channel_op hypercall); Xen sets a pending bit on the backend's end and
// interrupts it. The backend does the same in the other direction when it has
// consumed output or produced input. Events are bits, not messages: several
// sends before the receiver looks collapse into one, so the receiver always
// re-reads the indices rather than counting events. That is why Ring kicks
// once per batch instead of once per byte, and why its Wait may return early.
//
// # Free-running indices
//
// The indices are never reduced modulo the buffer size when stored; they just
// count bytes forever and wrap at 2^32. The number of bytes in flight is
// prod - cons in unsigned 32-bit arithmetic, and the position in the buffer is
// idx & (size-1) (MASK_XENCONS_IDX). Because the sizes are powers of two that
// divide 2^32, both stay correct across the wrap. And because a full buffer
// (prod - cons == size) and an empty one (prod == cons) look different, no
// slot has to be left unused to tell them apart.
//
// The backend is not trusted. A prod - cons larger than the buffer cannot
// happen with an honest peer, so Ring reports it as an *IndexError, and it
// masks every index before using it, so no value on the page can make it
// touch memory outside the buffers.
//
// # Finding the page
//
// An HVM or PVH domU asks Xen for the page's frame number and the event
// channel with HVMOP_get_param, HVM_PARAM_CONSOLE_PFN (17) and
// HVM_PARAM_CONSOLE_EVTCHN (18) (xen/include/public/hvm/params.h), then
// accesses the frame at that physical address. A PV domU finds the same
// two numbers in start_info (console.domU.mfn and .evtchn).
//
// dom0 has no ring: nothing runs below it to serve one. It writes straight
// into Xen's own console with the console_io hypercall (CONSOLEIO_write) and
// reads with CONSOLEIO_read; that path belongs to package hypercall, not here.
//
// # Connection flag
//
// Newer headers add a byte, connection, after the indices:
// XENCONSOLE_DISCONNECTED (1) until the backend attaches, then
// XENCONSOLE_CONNECTED (0). Older Xen leaves the byte zero. Ring ignores
// it; a guest that must not block before a backend exists can check it.
//
// # Constraints
//
// This package imports only the module's internal/ring and internal/numfmt
// (which import nothing but sync/atomic), and never allocates on Write, Read,
// Pending or Flush, including their error paths: the kernel uses it inside its
// syscall handler and before the Go runtime is initialised, where the heap
// cannot be used. For the same reason no function of the package stores a
// pointer where the GC would need a write barrier (barrier_test.go checks the
// compiled code). It also builds for GOOS=tamago.
package console
