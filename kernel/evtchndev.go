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
//   - write takes uint32 ports to unmask. Linux masks a port when it fires
//     and needs that write; here a port is never masked (a fired port is
//     remembered until read), so a write only checks the ports.
//
// The ports are event channels like the console's: onEvent marks them
// fired and wakes the file's readers, and idle polls them too.

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
	port  uint32
	owner int8 // slot+1 of the file that bound it; 0: free entry
	fired bool // an event arrived that read has not returned yet
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
			hypercall.EvtchnClose(devPorts[i].port)
			devPorts[i] = devPort{}
		}
	}
	evtchnDevs[slot] = false
	wake(waitEvtchnDev(slot), maxThreads)
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
		devPorts[free] = devPort{port: port, owner: int8(slot + 1)}
		evtchn.Unmask(port)
		return int64(port)
	case ioctlEvtchnUnbind:
		p := devPortOf(slot, a[0])
		if p == nil {
			return -eNOTCONN
		}
		hypercall.EvtchnClose(p.port)
		*p = devPort{}
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

func evtchnRead(slot int, nonblock bool, buf uintptr, n int) int64 {
	if n < 4 {
		return -eINVAL
	}
	// Ports are gathered here and copied out: the buffer is probed (after
	// each wait) before a fired port is taken, so a bad one loses none.
	var ports [maxDevPorts]uint32
	out := ports[:min(n/4, len(ports))]
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
			if p.fired && got < len(out) {
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

func evtchnWrite(slot int, buf uintptr, n int) int64 {
	if n%4 != 0 {
		return -eINVAL
	}
	for i := 0; i < n/4; i++ {
		port, errno := readUser[uint32](buf + uintptr(i)*4)
		if errno != 0 {
			return -errno
		}
		if devPortOf(slot, port) == nil {
			return -eINVAL
		}
	}
	return int64(n)
}

// devPortEvent is onEvent's part for the program's ports.
func devPortEvent(port uint32) bool {
	for i := range devPorts {
		p := &devPorts[i]
		if p.owner != 0 && p.port == port {
			p.fired = true
			wake(waitEvtchnDev(int(p.owner-1)), maxThreads)
			return true
		}
	}
	return false
}

// pollPorts is what idle waits on: the kernel's own ports and every port
// a program bound.
func pollPorts(buf *[len(idlePorts) + maxDevPorts]uint32) []uint32 {
	n := copy(buf[:], idlePorts[:idleNPort])
	for i := range devPorts {
		if devPorts[i].owner != 0 {
			buf[n] = devPorts[i].port
			n++
		}
	}
	return buf[:n]
}
