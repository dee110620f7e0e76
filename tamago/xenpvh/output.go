package xenpvh

import "github.com/goxen/goxen/console"

// Console output. The runtime prints one byte at a time (Printk); bytes
// collect in a line buffer that goes to the console on "\n", when full,
// and before shutdown, so a domU makes one event-channel kick per line
// rather than per byte. Before early picks the console, and whenever the
// chosen one fails, output goes to port 0xe9, which Xen copies into its
// own log as "(dN) text".

type sink uint8

const (
	sinkE9        sink = iota // I/O port 0xe9: Xen's debug port for HVM/PVH guests
	sinkConsoleIO             // HYPERVISOR_console_io: dom0's console
	sinkRing                  // the PV console ring: a domU's console
)

// sinkNames are what ConsoleName reports.
var sinkNames = [...]string{
	sinkE9:        "port 0xe9",
	sinkConsoleIO: "console_io",
	sinkRing:      "console ring",
}

// output is the console. Its hardware access goes through the function
// fields, so that host tests can drive it; out.init sets the real ones.
type output struct {
	sink sink
	ring console.Ring
	// pollPorts is what Idle and a full ring wait on: the console's event
	// channel, or port 0, which is never bound (a plain timed sleep).
	pollPorts [1]uint32
	buf       [256]byte
	n         int
	failed    bool // a sink failed and output moved to port 0xe9

	e9        func(p []byte)
	consoleIO func(p []byte) int // returns 0 or -errno
	kick      func(port uint32) int
	wait      func(deadline int64)
	now       func() int64
}

var out output

// msgBuf holds the board's own messages. Messages are built here rather
// than on the stack because bytes passed to the function fields escape,
// and fatal runs before the heap exists. One vCPU: no sharing.
var msgBuf [320]byte

// putc adds one byte, sending the line when it ends or the buffer fills.
func (o *output) putc(c byte) {
	o.buf[o.n] = c
	o.n++
	if c == '\n' || o.n == len(o.buf) {
		o.flush()
	}
}

// flush sends the buffered bytes and, for the ring, waits until the
// backend took them.
func (o *output) flush() {
	p := o.buf[:o.n]
	o.n = 0
	o.write(p)
	if o.sink == sinkRing {
		if err := o.ring.Flush(); err != nil {
			o.ringFailed(err, nil)
		}
	}
}

func (o *output) write(p []byte) {
	if len(p) == 0 {
		return
	}
	switch o.sink {
	case sinkConsoleIO:
		// Xen writes all of p (it continues the hypercall itself) or
		// refuses: a domU on a release build of Xen gets -EPERM.
		if o.consoleIO(p) < 0 {
			o.sink = sinkE9
			o.failed = true
			o.e9(p)
		}
	case sinkRing:
		if _, err := o.ring.Write(p); err != nil {
			o.ringFailed(err, p)
		}
	default:
		o.e9(p)
	}
}

// ringFailed abandons the ring, whose indices the backend made
// impossible, and says so on port 0xe9 with the text that was pending.
func (o *output) ringFailed(err error, p []byte) {
	o.sink = sinkE9
	o.failed = true
	m := append(msgBuf[:0], "xenpvh: console ring: "...)
	if ie, ok := err.(*console.IndexError); ok {
		m = ie.AppendError(m)
	} else if ce, ok := err.(console.Error); ok {
		m = append(m, string(ce)...)
	}
	m = append(m, '\n')
	o.e9(m)
	o.e9(p)
}

// fatal writes msg and detail as one line to the main console and, if
// that is not port 0xe9, to port 0xe9 too, so the reason is never lost.
func (o *output) fatal(msg string, detail []byte) {
	m := append(msgBuf[:0], msg...)
	m = append(m, detail...)
	m = append(m, '\n')
	o.flush()
	o.write(m)
	if o.sink != sinkE9 {
		o.e9(m)
	}
	o.flush()
}

func (o *output) useConsoleIO() { o.sink = sinkConsoleIO }

// useRing switches to the console ring on page, kicking port.
func (o *output) useRing(page *console.Interface, port uint32) {
	o.ring = console.Ring{
		Page: page,
		Kick: kickRing,
		Wait: waitRing,
		CRLF: true,
	}
	o.pollPorts[0] = port
	o.sink = sinkRing
}

// The ring's callbacks are plain functions on out: a method value would
// be a closure, allocated on the heap, and the ring is set up before the
// heap exists.
func kickRing() { out.kick(out.pollPorts[0]) }

// waitRing sleeps until the backend signals that it consumed output, or
// for a millisecond: returning early is harmless.
func waitRing() { out.wait(out.now() + 1e6) }

// ConsoleName says where the console output goes: "console ring" (a
// domU), "console_io" (dom0) or "port 0xe9" (neither works).
func ConsoleName() string { return sinkNames[out.sink] }
