package console

// xen/include/public/io/console.h: the sizes of xencons_interface.in and .out.
// Both are powers of two, which is what lets the free-running indices be
// reduced to a buffer offset with a mask (MASK_XENCONS_IDX).
const (
	InSize  = 1024 // in[]: backend -> guest (keyboard input)
	OutSize = 2048 // out[]: guest -> backend (console output)
)

// xen/include/public/io/console.h: values of xencons_interface.connection.
// The field only exists in newer headers; on older Xen it is padding that the
// toolstack leaves zero, which reads as "connected".
const (
	XENCONSOLE_CONNECTED    = 0
	XENCONSOLE_DISCONNECTED = 1
)

// Interface is the shared console page, laid out exactly like
// xen/include/public/io/console.h: struct xencons_interface.
// It occupies the first 0xC14 bytes of a 4 KiB page; the rest is unused.
//
// The guest owns InCons and OutProd, the backend owns InProd and OutCons, but
// both sides can write anything to the page, so every index read from here is
// untrusted. Access the index fields only through sync/atomic (Ring does).
type Interface struct {
	In         [InSize]byte  // 0x000, written by the backend
	Out        [OutSize]byte // 0x400, written by the guest
	InCons     uint32        // 0xC00, advanced by the guest
	InProd     uint32        // 0xC04, advanced by the backend
	OutCons    uint32        // 0xC08, advanced by the backend
	OutProd    uint32        // 0xC0C, advanced by the guest
	Connection uint8         // 0xC10, XENCONSOLE_CONNECTED or XENCONSOLE_DISCONNECTED
	_          [3]byte       // C pads the struct to its 4-byte alignment: sizeof == 0xC14
}
