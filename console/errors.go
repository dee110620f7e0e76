package console

import "github.com/goxen/goxen/internal/ring"

// Error is the type of the package's fixed errors. They are constants, so
// returning one needs neither the heap nor a package initialiser (parts of the
// kernel call this package before the Go runtime is up).
type Error string

func (e Error) Error() string { return string(e) }

const (
	// ErrNoPage is returned when Ring.Page is nil.
	ErrNoPage Error = "console: Ring.Page is nil"
	// ErrNoWait is returned when out[] is full (or, in Flush, not yet
	// drained) and Ring.Wait is nil, so the ring has no way to wait for
	// the backend. The bytes counted by Write's n were delivered to the ring;
	// the rest were not taken and may be written again.
	ErrNoWait Error = "console: out ring is full and Ring.Wait is nil"
)

// Buffer names one of the page's two buffers.
type Buffer uint8

const (
	OutBuffer Buffer = iota // out[]: output, guest to backend
	InBuffer                // in[]: input, backend to guest
)

// String returns "out" or "in" (the buffer's name in xencons_interface).
func (b Buffer) String() string {
	switch b {
	case OutBuffer:
		return "out"
	case InBuffer:
		return "in"
	}
	return "unknown"
}

// Size returns the capacity of the buffer in bytes (0 for an unknown one).
func (b Buffer) Size() uint32 {
	switch b {
	case OutBuffer:
		return OutSize
	case InBuffer:
		return InSize
	}
	return 0
}

// IndexError reports ring indices that no honest backend produces: more
// bytes in flight (Prod-Cons, modulo 2^32) than the buffer holds. That covers
// a consumer index ahead of the producer and one too far behind it.
//
// It holds no pointers, only integers: Ring keeps its last error inside
// itself, and storing a pointer there would be a GC write barrier, which
// the kernel's system-call and trap handlers (running without a P) cannot
// execute.
type IndexError struct {
	Ring       Buffer // OutBuffer or InBuffer
	Prod, Cons uint32 // the snapshot that failed the check
}

// Error returns, for example,
// "console: hostile out ring indices: prod=0x10 cons=0x20 (0xfffffff0 > 2048 in flight)".
// It allocates the string; code that may not allocate uses AppendError.
func (e *IndexError) Error() string {
	var buf [128]byte
	return string(e.AppendError(buf[:0]))
}

// AppendError appends the text of Error to b. It does not allocate when b has
// room for it (about 100 bytes), so the kernel can print it from a syscall
// handler with a stack buffer.
func (e *IndexError) AppendError(b []byte) []byte {
	return ring.AppendIndexError(b, "console", e.Ring.String(), e.Prod, e.Cons, e.Ring.Size())
}
