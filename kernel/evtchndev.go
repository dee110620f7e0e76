package kernel

import (
	"github.com/goxen/goxen/evtchn"
	"github.com/goxen/goxen/hypercall"
)

// /dev/xen/evtchn: event channels for the program, with the interface of
// Linux's device of that name (include/uapi/xen/evtchn.h), so package
// evtchn's Device works in a goxen guest and in a Linux domain alike.
//
//   - ioctl IOCTL_EVTCHN_BIND_UNBOUND_PORT allocates a port that another
//     domain may bind (EVTCHNOP_alloc_unbound); IOCTL_EVTCHN_BIND_INTERDOMAIN
//     binds to a port another domain offered (EVTCHNOP_bind_interdomain).
//     Both return the local port, now bound to this file.
//   - ioctl IOCTL_EVTCHN_NOTIFY sends an event (EVTCHNOP_send);
//     IOCTL_EVTCHN_UNBIND closes the port (EVTCHNOP_close).
//   - read returns the file's ports that fired since the last read, as
//     uint32s, and blocks until one has. One difference from Linux: a file
//     with no port bound has nothing to wait for, and read returns 0 at
//     once; so unbinding a port wakes a reader blocked on it.
//   - write takes uint32 ports to unmask. As on Linux, a port is masked
//     when it fires (in shared info's evtchn_mask), so a peer that sends
//     a thousand events costs one upcall; Xen keeps the later ones
//     pending, and the program's write unmasks the port
//     (EVTCHNOP_unmask), which delivers them as one event.
//   - read and write move whole ports and at most a page of them, like
//     Linux's (drivers/xen/evtchn.c: evtchn_read and evtchn_write round
//     the count down to a multiple of 4 and clamp it to PAGE_SIZE); a
//     write skips ports the file has not bound.
//
// The ports are event channels like the console's: onEvent marks them
// fired and wakes the file's readers, and idle polls the unmasked ones.
//
// A port may also be held by a /dev/xen/gntalloc unmap notification
// (gntallocdev.go), as Linux's evtchn_get holds it: unbinding it, or
// closing its file, then leaves it open in Xen, with no file, until the
// notification has been sent (evtchnPut), so the event reaches the peer
// and the port number cannot go to another channel in between.

const (
	maxEvtchnDevs = 8  // /dev/xen/evtchn opened at once
	maxDevPorts   = 32 // ports bound through them, all files together
)

// Linux's request numbers: _IOC(_IOC_NONE, 'E', nr, size), i.e.
// size<<16 | 'E'<<8 | nr (include/uapi/asm-generic/ioctl.h).
const (
	ioctlEvtchnBindVIRQ        = 4<<16 | 'E'<<8 | 0 // struct ioctl_evtchn_bind_virq { u32 virq }
	ioctlEvtchnBindInterdomain = 8<<16 | 'E'<<8 | 1 // { u32 remote_domain, remote_port }
	ioctlEvtchnBindUnboundPort = 4<<16 | 'E'<<8 | 2 // { u32 remote_domain }
	ioctlEvtchnUnbind          = 4<<16 | 'E'<<8 | 3 // { u32 port }
	ioctlEvtchnNotify          = 4<<16 | 'E'<<8 | 4 // { u32 port }
	ioctlEvtchnReset           = 0<<16 | 'E'<<8 | 5
)

type devPort struct {
	port   uint32
	owner  int8  // slot+1 of the file that bound it; 0: free entry; -1: unbound, open for its holds
	fired  bool  // an event arrived that read has not returned yet
	masked bool  // masked at its last event; the program's write unmasks it
	holds  uint8 // unmap notifications that will send on it (evtchnHold)
}

var (
	evtchnDevs [maxEvtchnDevs]bool // in use
	devPorts   [maxDevPorts]devPort
)

func waitEvtchnDev(slot int) uintptr { return 101 + 2*uintptr(slot) } // odd: never a futex word

func evtchnOpen() int64 { return openSlot(evtchnDevs[:], fdEvtchn) }

func evtchnClose(slot int) {
	for i := range devPorts {
		if devPorts[i].owner == int8(slot+1) {
			unbindDevPort(&devPorts[i])
		}
	}
	// kernel:nopanic slot is the file's: openSlot set it to an index of evtchnDevs
	evtchnDevs[slot] = false
	wake(waitEvtchnDev(slot), maxThreads)
}

// unbindDevPort takes a port from its file: closed in Xen, or, while an
// unmap notification holds it, masked and kept open without a file.
func unbindDevPort(p *devPort) {
	if p.holds == 0 {
		hypercall.EvtchnClose(p.port)
		*p = devPort{}
		return
	}
	evtchn.Mask(shared, p.port)
	*p = devPort{port: p.port, owner: -1, masked: true, holds: p.holds}
}

// evtchnHold is evtchn_get: it takes a hold on port for an unmap
// notification, if a file bound it, and reports whether it did.
func evtchnHold(port uint32) bool {
	for i := range devPorts {
		p := &devPorts[i]
		if p.owner > 0 && p.port == port && p.holds < ^uint8(0) {
			p.holds++
			return true
		}
	}
	return false
}

// evtchnPut is evtchn_put: it lets go of a hold evtchnHold took, and
// closes the port if that was the last thing keeping it open.
func evtchnPut(port uint32) {
	for i := range devPorts {
		p := &devPorts[i]
		if p.owner != 0 && p.port == port && p.holds > 0 {
			p.holds--
			if p.owner < 0 && p.holds == 0 {
				unbindDevPort(p)
			}
			return
		}
	}
}

// devPortOf finds port among the ports the file in slot bound.
func devPortOf(slot int, port uint32) *devPort {
	for i := range devPorts {
		if devPorts[i].owner == int8(slot+1) && devPorts[i].port == port {
			return &devPorts[i]
		}
	}
	return nil
}

func evtchnIoctl(slot int, req uint64, arg uintptr) int64 {
	if req == ioctlEvtchnReset {
		return 0
	}
	if arg == 0 {
		return -eFAULT
	}
	// Each request's struct is one or two u32s (include/uapi/xen/evtchn.h),
	// its size in the request number.
	var a [2]uint32
	if req>>16&0x3fff == 8 {
		var errno int64
		if a, errno = readUser[[2]uint32](arg); errno != 0 {
			return -errno
		}
	} else {
		var errno int64
		if a[0], errno = readUser[uint32](arg); errno != 0 {
			return -errno
		}
	}
	switch req {
	case ioctlEvtchnBindUnboundPort, ioctlEvtchnBindInterdomain:
		free := -1
		for i := range devPorts {
			if devPorts[i].owner == 0 {
				free = i
				break
			}
		}
		if a[0] > 0x7fef { // DOMID_FIRST_RESERVED (xen.h)
			return -eINVAL
		}
		if free < 0 {
			return -eNOSPC
		}
		var port uint32
		var rc int
		if req == ioctlEvtchnBindUnboundPort {
			port, rc = hypercall.EvtchnAllocUnbound(uint16(a[0]))
		} else {
			port, rc = hypercall.EvtchnBindInterdomain(uint16(a[0]), a[1])
		}
		if rc != 0 {
			return int64(rc) // Xen's errors are Linux's errno values, negated
		}
		if port >= evtchn.NumPorts {
			hypercall.EvtchnClose(port)
			return -eNOSPC
		}
		// kernel:nopanic free is an index of devPorts: the loop above set it, and free < 0 returned
		devPorts[free] = devPort{port: port, owner: int8(slot + 1)}
		evtchn.Unmask(port)
		return int64(port)
	case ioctlEvtchnUnbind:
		p := devPortOf(slot, a[0])
		if p == nil {
			return -eNOTCONN
		}
		unbindDevPort(p)
		wake(waitEvtchnDev(slot), maxThreads)
		return 0
	case ioctlEvtchnNotify:
		if devPortOf(slot, a[0]) == nil {
			return -eNOTCONN
		}
		return int64(hypercall.EvtchnSend(a[0]))
	case ioctlEvtchnBindVIRQ:
		return -eINVAL // VIRQs belong to the kernel
	}
	return -eNOTTY
}

// evtchnPorts is how many ports a read or write of n bytes moves: whole
// ports, at most a page of them (Linux's count &= ~3, then PAGE_SIZE).
func evtchnPorts(n int) int {
	if uint(n) > 4096 {
		return 4096 / 4
	}
	return n / 4
}

func evtchnRead(slot int, nonblock bool, buf uintptr, n int) int64 {
	np := evtchnPorts(n)
	if np == 0 {
		return 0
	}
	// Ports are gathered here and copied out: the buffer is probed (after
	// each wait) before a fired port is taken, so a bad one loses none.
	var ports [maxDevPorts]uint32
	out := ports[:min(uint(np), uint(len(ports)))]
	for {
		if errno := userProbe(buf, uintptr(len(out))*4, true); errno != 0 {
			return -errno
		}
		got, bound := 0, false
		for i := range devPorts {
			p := &devPorts[i]
			if p.owner != int8(slot+1) {
				continue
			}
			bound = true
			if p.fired && uint(got) < uint(len(out)) {
				out[got] = p.port
				got++
				p.fired = false
			}
		}
		if got > 0 {
			if errno := copyOut(buf, u32Bytes(out[:got])); errno != 0 { // kernel:nopanic got counts up to len(out) only
				return -errno // not after the probe, with nothing run since
			}
			return int64(got) * 4
		}
		if !bound {
			return 0
		}
		if nonblock {
			return -eAGAIN
		}
		if block(waitEvtchnDev(slot), 0) == wokeSignal {
			return -eINTR
		}
	}
}

// evtchnWrite unmasks the file's ports among those written; others are
// skipped, as Linux does.
func evtchnWrite(slot int, buf uintptr, n int) int64 {
	np := evtchnPorts(n)
	if np == 0 {
		return 0
	}
	// The whole buffer is checked first, so a bad one unmasks nothing.
	if errno := userProbe(buf, uintptr(np)*4, false); errno != 0 {
		return -errno
	}
	for i := 0; i < np; i++ {
		port, errno := readUser[uint32](buf + uintptr(i)*4)
		if errno != 0 {
			return -errno
		}
		if p := devPortOf(slot, port); p != nil && p.masked {
			p.masked = false
			evtchn.Unmask(port) // Xen raises the upcall for an event that waited
		}
	}
	return int64(np) * 4
}

// devPortEvent is onEvent's part for the program's ports: the port is
// masked until the program writes it back, and its file's readers woken.
// A port only held open for an unmap notification has no reader.
func devPortEvent(port uint32) bool {
	for i := range devPorts {
		p := &devPorts[i]
		if p.owner != 0 && p.port == port {
			evtchn.Mask(shared, port)
			p.masked = true
			if p.owner > 0 {
				p.fired = true
				wake(waitEvtchnDev(int(p.owner-1)), maxThreads)
			}
			return true
		}
	}
	return false
}

// pollPorts is what idle waits on: the kernel's own ports and every port
// a program bound and has not masked. SCHEDOP_poll ends when a listed
// port is pending, masked or not (xen/common/sched/core.c, do_poll), so a
// masked port with events waiting would end every poll at once.
func pollPorts(buf *[len(idlePorts) + maxDevPorts]uint32) []uint32 {
	n := copy(buf[:], idlePorts[:min(uint(idleNPort), uint(len(idlePorts)))])
	for i := range devPorts {
		if devPorts[i].owner > 0 && !devPorts[i].masked {
			// kernel:nopanic n counts idle ports (at most len(idlePorts)) and the devPorts taken so far, fewer than len(buf) = len(idlePorts) + len(devPorts)
			buf[n] = devPorts[i].port
			n++
		}
	}
	// kernel:nopanic n <= len(buf): see the loop
	return buf[:n]
}
