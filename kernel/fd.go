package kernel

import (
	"math"

	"github.com/goxen/goxen/console"
	"github.com/goxen/goxen/pvh"
)

// File descriptors: 0, 1 and 2 are the console; the Go runtime's netpoller
// adds one epoll instance and one eventfd it uses to wake the poller.
// That is the whole file system.

const maxFDs = 32

type fdKind uint8

const (
	fdNone fdKind = iota
	fdConsole
	fdEpoll
	fdEventfd
	fdXenbus   // /dev/xen/xenbus (xenbus.go)
	fdEvtchn   // /dev/xen/evtchn (evtchndev.go)
	fdGntalloc // /dev/xen/gntalloc (gntallocdev.go)
)

type fdEntry struct {
	kind     fdKind
	nonblock bool
	count    uint64 // eventfd counter
	// epoll: one registered eventfd is all the runtime ever adds
	watchFD   int
	watchData uint64
	watching  bool
	slot      int8 // fdXenbus, fdEvtchn, fdGntalloc: which entry of the device's table
}

var fds = [maxFDs]fdEntry{{kind: fdConsole}, {kind: fdConsole}, {kind: fdConsole}}

func allocFD(k fdKind) int64 {
	for i := 3; i < maxFDs; i++ {
		if fds[i].kind == fdNone {
			fds[i] = fdEntry{kind: k}
			return int64(i)
		}
	}
	return -eMFILE
}

// openSlot opens a file of a device whose open files are the true entries
// of used: it takes a free entry and a descriptor pointing at it.
func openSlot(used []bool, k fdKind) int64 {
	for i := range used {
		if !used[i] {
			fd := allocFD(k)
			if fd < 0 {
				return fd
			}
			used[i] = true
			// kernel:nopanic allocFD returns a descriptor in [3, maxFDs) or a negative errno
			fds[fd].slot = int8(i)
			return fd
		}
	}
	return -eMFILE
}

func closeFD(fd int) int64 {
	if fd < 3 || fd >= maxFDs || fds[fd].kind == fdNone {
		return -eBADF
	}
	switch fds[fd].kind {
	case fdXenbus:
		xenbusClose(int(fds[fd].slot))
	case fdEvtchn:
		evtchnClose(int(fds[fd].slot))
	case fdGntalloc:
		gntallocClose(int(fds[fd].slot))
	}
	fds[fd] = fdEntry{}
	// Linux drops a closed file from every epoll set watching it; a new
	// descriptor that reuses the number is not watched.
	for i := range fds {
		if fds[i].kind == fdEpoll && fds[i].watching && fds[i].watchFD == fd {
			fds[i].watching = false
		}
	}
	return 0
}

func fdOf(fd int, k fdKind) *fdEntry {
	if fd < 0 || fd >= maxFDs || fds[fd].kind != k {
		return nil
	}
	return &fds[fd]
}

func eventfdOf(fd int) *fdEntry { return fdOf(fd, fdEventfd) }

func eventfdCreate(initval uint64, flags int) int64 {
	const efdNonblock = 0x800
	fd := allocFD(fdEventfd)
	if fd >= 0 {
		// kernel:nopanic allocFD returns a descriptor in [3, maxFDs) or a negative errno
		fds[fd].count = initval
		fds[fd].nonblock = flags&efdNonblock != 0
	}
	return fd
}

// eventfdWrite adds the program's 8-byte value. The count must be
// exactly 8, as Linux has checked it since 6.6 (fs/eventfd.c,
// eventfd_write: "strictly check the count"); a read takes any count of
// at least 8.
func eventfdWrite(e *fdEntry, buf uintptr, n int) int64 {
	if n != 8 {
		return -eINVAL
	}
	v, errno := readUser[uint64](buf)
	if errno != 0 {
		return -errno
	}
	for {
		sum, ok, errno := eventfdAdd(e.count, v)
		if errno != 0 {
			return -errno
		}
		if ok {
			e.count = sum
			break
		}
		// Full: wait for a read to empty the counter, as Linux does.
		if e.nonblock {
			return -eAGAIN
		}
		if block(waitEventfdFull, 0) == wokeSignal {
			return -eINTR
		}
	}
	wake(waitEpoll, maxThreads)
	return 8
}

func eventfdRead(e *fdEntry, buf uintptr, n int) int64 {
	if n < 8 {
		return -eINVAL
	}
	for e.count == 0 {
		if e.nonblock {
			return -eAGAIN
		}
		if block(waitEpoll, 0) == wokeSignal {
			return -eINTR
		}
	}
	// Written before the counter is taken: a bad buffer loses no count.
	if errno := writeUser(buf, e.count); errno != 0 {
		return -errno
	}
	e.count = 0
	wake(waitEventfdFull, maxThreads)
	return 8
}

func epollCreate() int64 { return allocFD(fdEpoll) }

func epollCtl(epfd, op, fd int, ev uintptr) int64 {
	const ctlAdd, ctlDel, ctlMod = 1, 2, 3
	// struct epoll_event is packed: u32 events, u64 data. Linux reads it
	// before it looks at the descriptors (fs/eventpoll.c, epoll_ctl).
	var event [3]uint32
	if op == ctlAdd || op == ctlMod {
		var errno int64
		if event, errno = readUser[[3]uint32](ev); errno != 0 {
			return -errno
		}
	}
	ep := fdOf(epfd, fdEpoll)
	if ep == nil {
		return -eBADF
	}
	if fd < 0 || fd >= maxFDs || fds[fd].kind == fdNone {
		return -eBADF
	}
	if fds[fd].kind != fdEventfd {
		return -ePERM // like Linux for a regular file: it cannot be polled
	}
	switch op {
	case ctlAdd, ctlMod:
		if op == ctlAdd && ep.watching {
			if ep.watchFD == fd {
				return -eEXIST
			}
			klog().s("epoll: only one watched descriptor is supported").print()
			return -eNOMEM
		}
		ep.watching = true
		ep.watchFD = fd
		ep.watchData = uint64(event[1]) | uint64(event[2])<<32
		return 0
	case ctlDel:
		ep.watching = false
		return 0
	}
	return -eINVAL
}

// epollWait reports the eventfd as readable (exactly EPOLLIN) when its
// counter is non-zero, blocking up to ms milliseconds (-1: forever).
//
// Its checks come in Linux's order (fs/eventpoll.c, do_epoll_wait): the
// count (at most EP_MAX_EVENTS, INT_MAX / sizeof(struct epoll_event)),
// access_ok on the array, then the descriptor.
func epollWait(epfd int, events uintptr, max int, ms int) int64 {
	const epollin, eventSize = 1, 12
	if max <= 0 || max > math.MaxInt32/eventSize {
		return -eINVAL
	}
	if !accessOK(events, uintptr(max)*eventSize) {
		return -eFAULT
	}
	ep := fdOf(epfd, fdEpoll)
	if ep == nil {
		return -eBADF
	}
	var deadline int64
	if ms > 0 {
		deadline = deadlineAfter(nanotime(), int64(ms)*1e6)
	}
	for {
		// kernel:nopanic watchFD was a valid descriptor when watched; closeFD ends the watch
		if ep.watching && fds[ep.watchFD].count > 0 {
			d := ep.watchData
			if errno := writeUser(events, [3]uint32{epollin, uint32(d), uint32(d >> 32)}); errno != 0 {
				return -errno
			}
			return 1
		}
		if ms == 0 {
			return 0
		}
		switch block(waitEpoll, deadline) {
		case wokeTimeout:
			return 0
		case wokeSignal:
			return -eINTR
		}
	}
}

// consoleRead takes what has been typed into the console, blocking until
// there is something.
//
// Input ring indices no honest backend writes end reading for good: one
// console line names them and every read after fails EIO (retrying
// EINTR, as Go does, would spin for ever). Output has its own indices
// and keeps working.
func consoleRead(p []byte) int64 {
	if len(p) == 0 {
		return 0
	}
	for {
		if inputBroken {
			return -eIO
		}
		if !consoleRingOn() {
			// dom0 has no input ring yet
			if block(waitConsole, 0) == wokeSignal {
				return -eINTR
			}
			continue
		}
		n, err := pvh.ReadConsole(p)
		if err != nil {
			inputBroken = true
			var b [160]byte
			l := klog().s("console input ring broken, stdin reads fail EIO from now on: ")
			if ie, ok := err.(*console.IndexError); ok { // its one error; no assertion that could panic
				l.bytes(ie.AppendError(b[:0]))
			}
			l.print()
			return -eIO
		}
		if n > 0 {
			return int64(n)
		}
		if block(waitConsole, 0) == wokeSignal {
			return -eINTR
		}
	}
}

// inputBroken is set once the console's input ring gave hostile indices.
var inputBroken bool
