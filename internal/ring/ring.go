// Package ring drives the byte queues of Xen's shared pages: the
// console's in[] and out[], xenstore's req[] and rsp[], and libxenvchan's
// two rings. Each is an array whose length is a power of two, read and
// written at free-running 32-bit producer and consumer indices that are
// reduced to an offset with a mask (MASK_XENCONS_IDX, MASK_XENSTORE_IDX).
//
// Queue is the one driver all three packages use (console.Ring,
// xenstore.Ring, vchan's rings): a step snapshots both indices, checks
// them (InFlight: more in flight than the queue holds is the caller's
// hostile-index error, and nothing is copied), copies (Put, Get),
// publishes the moved index and kicks; a producer's loop kicks once a
// batch (Batch) and waits when the queue is full. What differs between
// the packages stays with them: where the queue and its indices are in
// the page, their error types, the state checked before each step
// (xenstore's connection field), how to kick and wait.
//
// The kernel calls these functions from its system-call handlers and
// before the Go runtime exists: they import only sync/atomic (an
// intrinsic) and numfmt, allocate nothing and store no pointer, so they
// need neither the heap nor a write barrier.
//
// # Memory ordering
//
// Every caller loads and publishes the indices the same way. The peer (a
// backend, xenstored, another guest) runs on another CPU and reads and
// writes the page concurrently, so two things must hold:
//
//  1. The compiler must not cache an index in a register or move a data
//     access across an index access. Plain Go loads and stores promise
//     neither; sync/atomic does (the Go memory model makes atomics
//     sequentially consistent, and the compiler treats them as barriers).
//  2. The CPU must make the data visible before the index that publishes
//     it, and must not read data before the index that covers it. x86 is
//     TSO: stores are not reordered with older stores, loads not with older
//     loads or later stores, so program order is enough. On amd64
//     atomic.LoadUint32 is a plain MOV and atomic.StoreUint32 an XCHG (a
//     full fence, more than needed; one per batch costs nothing next to
//     the event-channel hypercall that follows). On weaker CPUs (arm64)
//     Go's atomics are acquire/release or stronger, which is again what the
//     protocol needs: the producer's data stores happen before its index
//     store, the consumer's index load happens before its data loads.
//
// So Queue loads both indices with atomic.LoadUint32, copies with Put or
// Get, and publishes the moved index with atomic.StoreUint32. sync/atomic is
// an intrinsic and touches no runtime state, so it is safe in a
// system-call handler and before the runtime starts.
package ring

// InFlight returns the bytes between cons and prod (prod-cons, modulo 2^32:
// free-running indices stay correct across the 2^32 wrap) and whether that
// is at most size, the queue's length. No honest peer makes it more: a
// false ok means hostile indices, a consumer ahead of the producer or one
// too far behind it.
func InFlight(prod, cons, size uint32) (n uint32, ok bool) {
	n = prod - cons
	return n, n <= size
}

// Batch is the kick discipline of a producer's loop: the peer is
// notified once per batch of published data, before the producer waits for
// room and when it returns. The zero value is an empty batch; it lives on
// the caller's stack.
type Batch struct{ published bool }

// Published records that data was published since the last kick.
func (b *Batch) Published() { b.published = true }

// Full is for a queue with no room: it kicks the batch published so far,
// then calls wait and returns true (look at the indices again), or, with a
// nil wait, returns false (stop: nothing will make room).
func (b *Batch) Full(kick, wait func()) bool {
	b.End(kick)
	if wait == nil {
		return false
	}
	wait()
	return true
}

// End kicks the peer if data was published since the last kick. A nil
// kick is never called (the peer polls).
func (b *Batch) End(kick func()) {
	if b.published && kick != nil {
		kick()
	}
	b.published = false
}

// Put copies as much of p as fits in free bytes into q at index prod, in
// at most two pieces (up to the end of q, then from its start), and returns
// the number of bytes copied. len(q) must be a power of two and free at most
// len(q); the caller then publishes prod plus the count.
func Put(q []byte, prod, free uint32, p []byte) int {
	mask := len(q) - 1 // MASK_XENCONS_IDX, MASK_XENSTORE_IDX
	if mask < 0 {
		return 0 // never, for a ring; it lets the compiler drop the bounds checks
	}
	k := len(p)
	if k > int(free) {
		k = int(free)
	}
	c := copy(q[int(prod)&mask:], p[:k])
	copy(q, p[c:k]) // the wrapped part; k-c <= free, so no overrun of cons
	return k
}

// Get copies up to len(p) of the avail bytes of q at index cons into p, in
// at most two pieces, and returns the number of bytes copied. len(q) must be
// a power of two and avail at most len(q); the caller then publishes cons
// plus the count.
func Get(q []byte, cons, avail uint32, p []byte) int {
	mask := len(q) - 1
	if mask < 0 {
		return 0
	}
	k := len(p)
	if k > int(avail) {
		k = int(avail)
	}
	c := copy(p[:k], q[int(cons)&mask:])
	copy(p[c:k], q)
	return k
}
