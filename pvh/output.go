package pvh

import (
	"unsafe"

	"github.com/goxen/goxen/console"
	"github.com/goxen/goxen/internal/numfmt"
)

// The early output sinks, in the manner of XTF: port 0xe9, which Xen
// copies into its own log as "(dN) text" (and, for dom0, onto the serial
// console); the console_io hypercall, dom0's console; and the PV console
// ring of a domU, whose event channel is kicked after each write (package
// console). Port 0xe9 is the only sink until FindConsole picks the main
// one; what was written until then is kept and replayed there, so a user
// at `xl console` sees the whole boot. Fatal messages go to the main
// console and to port 0xe9, so a crash reason is never lost.
//
// One behaviour for a sink that fails, in both flavours: console_io
// refused (a domU on a release build of Xen gets -EPERM), or a ring whose
// indices the backend made impossible, moves output to port 0xe9 for
// good, with a line there saying why, and nothing is dropped. A hostile
// console backend can silence the guest's console, never crash it.

type sink uint8

const (
	sinkE9        sink = iota // I/O port 0xe9: Xen's debug port for HVM/PVH guests
	sinkConsoleIO             // HYPERVISOR_console_io: dom0's console
	sinkRing                  // the PV console ring: a domU's console
)

var sinkNames = [...]string{ // sinkE9's name changes under PV (SetDebugSink)
	sinkE9:        "port 0xe9",
	sinkConsoleIO: "console_io",
	sinkRing:      "console ring",
}

// output is the console.
type output struct {
	sink   sink
	ring   console.Ring
	buf    [256]byte // Putc's line buffer
	n      int
	failed bool // a sink failed and output moved to port 0xe9
	// early keeps what was written before the main console existed.
	early     [8192]byte
	earlyLen  int
	earlyLost int
}

var out output

// hardware is how the console reaches port 0xe9, Xen and the clock:
// function fields, so that host tests can drive the console;
// output_amd64.go sets the real ones.
type hardware struct {
	e9        func(p []byte)
	consoleIO func(p []byte) int // returns 0 or -errno
	kick      func(port uint32) int
	wait      func(deadline int64)
	now       func() int64
}

// toE9 writes p to port 0xe9.
func (o *output) toE9(p []byte) { hw.e9(noescape(p)) }

// noescape hides p from escape analysis, as the runtime's function of
// that name does: bytes passed to a function field would otherwise
// escape, and callers write from stack buffers before any heap exists.
// No sink keeps p.
func noescape(p []byte) []byte {
	// kernel:nopanic a slice's length is never negative; p's data is not nil when its length is not 0
	return unsafe.Slice((*byte)(at(uintptr(unsafe.Pointer(unsafe.SliceData(p))))), len(p))
}

// consolePorts is what a full ring waits on: the console's event
// channel, or port 0, which is never bound (a plain timed sleep).
var consolePorts [1]uint32

// msgBuf holds pvh's own messages. Messages are built here rather than
// on the stack because bytes passed to the function fields escape, and
// Fatal runs before the heap exists. One vCPU: no sharing.
var msgBuf [320]byte

// Write writes p to the main console.
func Write(p []byte) {
	out.flushLine()
	out.write(p)
}

// Putc adds one byte, sending the line when it ends or the buffer fills:
// a domU then makes one event-channel kick per line, not per byte.
func Putc(c byte) {
	out.buf[out.n] = c
	out.n++
	if c == '\n' || out.n == len(out.buf) {
		out.flushLine()
	}
}

// Flush sends what Putc buffered and waits until the console backend has
// taken every byte of the ring.
func Flush() {
	out.flushLine()
	if out.sink == sinkRing {
		if err := out.ring.Flush(); err != nil {
			out.ringFailed(err, nil)
		}
	}
}

// WriteAll writes p to the main console and, if that is not port 0xe9,
// to port 0xe9 too: for fatal messages.
func WriteAll(p []byte) {
	out.flushLine()
	out.write(p)
	if out.sink != sinkE9 {
		out.toE9(p)
	}
}

// ConsoleName says where output goes: "console ring" (a domU),
// "console_io" (dom0) or "port 0xe9" (before FindConsole, or when neither
// works).
func ConsoleName() string { return sinkNames[out.sink] }

// ConsoleFailed reports whether a console failed and output moved to
// port 0xe9.
func ConsoleFailed() bool { return out.failed }

// SetConsoleWait sets how the flavour sleeps while the ring is full:
// until deadline (Xen system time) or an event on the console's channel,
// handling events as it does elsewhere. Without it, a plain SCHEDOP_poll.
func SetConsoleWait(wait func(deadline int64)) { hw.wait = wait }

// ReadConsole reads console input from the ring (a domU's only input);
// 0 bytes when there is none, or when the main console is not the ring.
func ReadConsole(p []byte) (int, error) {
	if out.sink != sinkRing {
		return 0, nil
	}
	return out.ring.Read(p)
}

func (o *output) flushLine() {
	// kernel:nopanic o.n <= len(o.buf): write flushes before it would pass the end
	p := o.buf[:o.n]
	o.n = 0
	o.write(p)
}

func (o *output) write(p []byte) {
	if len(p) == 0 {
		return
	}
	switch o.sink {
	case sinkConsoleIO:
		// Xen writes all of p (it continues the hypercall itself) or
		// refuses.
		if hw.consoleIO(noescape(p)) < 0 {
			o.sink = sinkE9
			o.failed = true
			o.toE9(p)
		}
	case sinkRing:
		if _, err := o.ring.Write(p); err != nil {
			o.ringFailed(err, p)
		}
	default:
		// kernel:nopanic earlyLen <= len(early): it grows by what copy took
		n := copy(o.early[o.earlyLen:], p)
		o.earlyLen += n
		o.earlyLost += len(p) - n
		o.toE9(p)
	}
}

// ringFailed abandons the ring, whose indices the backend made
// impossible, and says so on port 0xe9 with the text that was pending.
func (o *output) ringFailed(err error, p []byte) {
	o.sink = sinkE9
	o.failed = true
	m := append(msgBuf[:0], "goxen: console ring: "...)
	if ie, ok := err.(*console.IndexError); ok {
		m = ie.AppendError(m)
	} else if ce, ok := err.(console.Error); ok {
		m = append(m, string(ce)...)
	}
	m = append(m, "; output stays on "...)
	m = append(m, sinkNames[sinkE9]...)
	m = append(m, '\n')
	o.toE9(m)
	o.toE9(p)
}

// fatal writes msg and detail as one line on every console.
func (o *output) fatal(msg string, detail []byte) {
	m := append(msgBuf[:0], "goxen: fatal: "...)
	m = append(m, msg...)
	m = append(m, detail...)
	m = append(m, '\n')
	WriteAll(m)
	Flush()
}

func (o *output) useConsoleIO() {
	o.sink = sinkConsoleIO
	o.replay()
}

// mainAt is Xen system time when the main console was chosen, just
// before the replay put its first byte there: a boot timeline's "first
// console byte". 0 until then.
var mainAt int64

// MainConsoleAt is the Xen system time (ns) at which the main console
// (ring or console_io) took its first byte, or 0 if none has.
func MainConsoleAt() int64 { return mainAt }

// useRing switches to the console ring on page, kicking port.
func (o *output) useRing(page *console.Interface, port uint32) {
	o.ring = console.Ring{
		Page: page,
		Kick: kickRing,
		Wait: waitRing,
		CRLF: true,
	}
	consolePorts[0] = port
	o.sink = sinkRing
	o.replay()
}

// replay copies the boot messages so far onto the new main console.
func (o *output) replay() {
	mainAt = hw.now()
	// kernel:nopanic earlyLen <= len(early): it grows by what copy took
	o.write(o.early[:o.earlyLen])
	if o.earlyLost > 0 {
		m := append(msgBuf[:0], "goxen: ("...)
		m = numfmt.AppendInt(m, int64(o.earlyLost))
		m = append(m, " bytes of boot messages only in Xen's log)\n"...)
		o.write(m)
	}
}

// The ring's callbacks are plain functions on out: a method value would
// be a closure, allocated on the heap, and the ring is set up before the
// heap exists.
func kickRing() { hw.kick(consolePorts[0]) }

// waitRing sleeps until the backend signals that it consumed output, or
// for a millisecond: returning early is harmless.
func waitRing() { hw.wait(hw.now() + 1e6) }

// SetDebugSink replaces port 0xe9 as the early and fallback sink: a PV
// guest runs in ring 3, where OUT raises #GP, so package pv writes there
// with console_io instead (Xen's log on a debug build, dom0's console).
// name is what ConsoleName and the fallback messages call it.
func SetDebugSink(name string, w func(p []byte)) {
	sinkNames[sinkE9] = name
	hw.e9 = w
}

// UseConsoleIO makes console_io the main console (dom0) and replays the
// boot messages on it.
func UseConsoleIO() { out.useConsoleIO() }

// UseConsoleRing makes the PV console ring on page, kicked through port,
// the main console (a domU) and replays the boot messages on it; pfn is the
// ring's frame, which ConsoleRing reports.
func UseConsoleRing(page *console.Interface, port uint32, pfn uint64) {
	out.useRing(page, port)
	consolePFN = pfn
}
