package vchan

import (
	"fmt"
	"unsafe"

	"github.com/goxen/goxen/internal/ring"
)

// vchanInterface is struct vchan_interface
// (xen/include/public/io/libxenvchan.h) without its trailing grants[]; the
// page is reached at the offsets below, taken from it (layout_test.go
// checks it against the header).
type vchanInterface struct {
	left, right           ringShared // left: client -> server, right: server -> client
	leftOrder, rightOrder uint16
	cliLive, srvLive      uint8
	cliNotify, srvNotify  uint8
	// uint32_t grants[] follows
}

// ringShared is struct ring_shared.
type ringShared struct{ cons, prod uint32 }

const (
	offLeft      = int(unsafe.Offsetof(vchanInterface{}.left))
	offRight     = int(unsafe.Offsetof(vchanInterface{}.right))
	offLeftOrder = int(unsafe.Offsetof(vchanInterface{}.leftOrder))
	offRightOrd  = int(unsafe.Offsetof(vchanInterface{}.rightOrder))
	offCliLive   = int(unsafe.Offsetof(vchanInterface{}.cliLive))
	offSrvLive   = int(unsafe.Offsetof(vchanInterface{}.srvLive))
	offCliNotify = int(unsafe.Offsetof(vchanInterface{}.cliNotify)) // events the client sends when it acts (set by the server)
	offSrvNotify = int(unsafe.Offsetof(vchanInterface{}.srvNotify)) // events the server sends (set by the client)
	offGrants    = int(unsafe.Sizeof(vchanInterface{}))             // uint32 grant refs of the ring pages
	offCons      = int(unsafe.Offsetof(vchanInterface{}.left.cons)) // within a ring_shared
	offProd      = int(unsafe.Offsetof(vchanInterface{}.left.prod))
)

const (
	notifyWrite = 1 // VCHAN_NOTIFY_WRITE: "tell me when you have written"
	notifyRead  = 2 // VCHAN_NOTIFY_READ: "tell me when you have read"

	liveGone    = 0
	liveOn      = 1
	liveWaiting = 2 // cli_live before a client connects
)

// In-page rings (orders 10 and 11) sit at these offsets; larger ones have
// pages of their own.
const (
	smallOrder  = 10 // 1 KiB at offset 1024
	mediumOrder = 11 // 2 KiB at offset 2048
	pageOrder   = 12
	maxOrder    = 20 // 1 MiB: far beyond what a share holds, and refused
)

// IndexError reports ring indices no honest peer produces: more bytes in
// flight than the ring holds.
type IndexError struct {
	Ring       string // "read" or "write" (this side's view)
	Prod, Cons uint32
	Size       uint32
}

func (e *IndexError) Error() string {
	return string(ring.AppendIndexError([]byte("vchan: "), "peer", e.Ring+" ring", e.Prod, e.Cons, e.Size))
}

// byteRing is one direction: indices in the shared page, data in a
// power-of-two buffer, moved by package internal/ring's Queue.
type byteRing struct {
	q    ring.Queue
	name string
}

func newRing(shared []byte, off int, data []byte, name string) byteRing {
	return byteRing{q: ring.Queue{
		Data: data,
		Cons: (*uint32)(unsafe.Pointer(&shared[off+offCons])),
		Prod: (*uint32)(unsafe.Pointer(&shared[off+offProd])),
	}, name: name}
}

func (r *byteRing) hostile(prod, cons uint32) error {
	return &IndexError{Ring: r.name, Prod: prod, Cons: cons, Size: uint32(len(r.q.Data))}
}

// put copies as much of p as fits and publishes it.
func (r *byteRing) put(p []byte) (int, error) {
	return r.q.Write(p, &ring.Producer{Hostile: r.hostile}) // no Wait: stops when full
}

// get takes what is there, up to len(p), and frees the room.
func (r *byteRing) get(p []byte) (int, error) { return r.q.Read(p, r.hostile, nil) }

// orderFor is the smallest ring order holding min bytes: 10 and 11 are
// inside the shared page, 12 and up take pages of their own.
func orderFor(min int) (int, error) {
	o := smallOrder
	for 1<<o < min {
		o++
	}
	if o > maxOrder {
		return 0, fmt.Errorf("vchan: a %d-byte ring is larger than the %d bytes this package offers", min, 1<<maxOrder)
	}
	return o, nil
}

// layout places the two rings: the server reads left and writes right.
// Orders 10 and 11 must not both be the same in-page slot; like
// libxenvchan, left takes 1024 when small, right takes 2048.
func layout(readMin, writeMin int) (leftOrder, rightOrder int, err error) {
	if leftOrder, err = orderFor(readMin); err != nil {
		return
	}
	if rightOrder, err = orderFor(writeMin); err != nil {
		return
	}
	if leftOrder == mediumOrder {
		leftOrder = pageOrder // 2048 is right's slot
	}
	if rightOrder == smallOrder {
		rightOrder = mediumOrder // 1024 is left's slot
	}
	return
}

// pages is how many ring pages an order takes outside the shared page.
func pages(order int) int {
	if order < pageOrder {
		return 0
	}
	return 1 << (order - pageOrder)
}
