package kernel

import (
	"github.com/goxen/goxen/console"
	"github.com/goxen/goxen/hypercall"
)

// Console output goes to a list of sinks, in the manner of XTF: the
// console ring of a domU or the console_io hypercall of dom0 (the main
// console), and port 0xe9, which Xen copies into its own log. Port 0xe9 is
// the only sink before the main console exists, and fatal messages go to
// every sink, so a crash reason is never lost.

type sinkKind uint8

const (
	sinkE9        sinkKind = iota // I/O port 0xe9: Xen's debug port for HVM/PVH guests
	sinkConsoleIO                 // HYPERVISOR_console_io: dom0's console
	sinkRing                      // the PV console ring: a domU's console
	numSinks
)

var (
	sinkOn      [numSinks]bool
	mainSink    = sinkE9 // where ordinary output goes
	consoleRing console.Ring
	consolePort uint32 // event channel of the console ring
	haveConsole bool   // the main console (ring or console_io) is up
	// consoleWriting is set while the ring is written: the ring's Wait
	// handles events, and nothing it does may write to the console.
	consoleWriting bool
)

func init0Output() { sinkOn[sinkE9] = true }

func writeSink(k sinkKind, p []byte) {
	switch k {
	case sinkE9:
		for _, b := range p {
			outb(0xe9, b)
		}
	case sinkConsoleIO:
		// Xen writes it all (it continues the hypercall itself) and
		// returns 0, or a negative errno.
		if rc := hypercall.ConsoleWrite(p); rc < 0 {
			// Refused (a domU on a release Xen): fall back to port 0xe9
			// so nothing is lost.
			sinkOn[sinkConsoleIO] = false
			mainSink = sinkE9
			writeSink(sinkE9, p)
		}
	case sinkRing:
		consoleWriting = true
		_, err := consoleRing.Write(p)
		consoleWriting = false
		if err != nil {
			// Hostile indices from the backend: the ring is unusable.
			sinkOn[sinkRing] = false
			mainSink = sinkE9
			var b [160]byte
			fatal("console ring: ", err.(*console.IndexError).AppendError(b[:0]))
		}
	}
}

// Output written before the main console exists goes to port 0xe9 and
// into earlyLog, which is replayed on the main console once it is up, so
// a user at `xl console` sees the whole boot.
var (
	earlyLog  [8192]byte
	earlyLen  int
	earlyLost int
)

// kwrite writes program or kernel output to the main console.
func kwrite(p []byte) {
	if !haveConsole {
		n := copy(earlyLog[earlyLen:], p)
		earlyLen += n
		earlyLost += len(p) - n
	}
	writeSink(mainSink, p)
}

// replayEarly copies the boot messages so far onto the new main console.
func replayEarly() {
	if mainSink == sinkE9 {
		return // still no console: they are in Xen's log already
	}
	writeSink(mainSink, earlyLog[:earlyLen])
	if earlyLost > 0 {
		klog().s("(").dec(int64(earlyLost)).s(" bytes of boot messages only in Xen's log)").print()
	}
}

// kwriteAll writes to every sink that is on (for fatal messages).
func kwriteAll(p []byte) {
	for k := sinkKind(0); k < numSinks; k++ {
		if sinkOn[k] {
			writeSink(k, p)
		}
	}
}

// flushConsole waits until the backend has taken every byte of the ring.
func flushConsole() {
	if sinkOn[sinkRing] {
		consoleRing.Flush()
	}
}

// line builds one line of kernel output without allocating.
type line struct {
	b [512]byte
	n int
}

func (l *line) s(s string) *line {
	l.n += copy(l.b[l.n:], s)
	return l
}

func (l *line) bytes(p []byte) *line {
	l.n += copy(l.b[l.n:], p)
	return l
}

func (l *line) hex(v uint64) *line {
	const digits = "0123456789abcdef"
	var t [18]byte
	i := len(t)
	for {
		i--
		t[i] = digits[v&15]
		v >>= 4
		if v == 0 {
			break
		}
	}
	i--
	t[i] = 'x'
	i--
	t[i] = '0'
	return l.bytes(t[i:])
}

func (l *line) dec(v int64) *line {
	var t [21]byte
	i := len(t)
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	for {
		i--
		t[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if neg {
		i--
		t[i] = '-'
	}
	return l.bytes(t[i:])
}

func (l *line) get() []byte {
	if l.n < len(l.b) {
		l.b[l.n] = '\n'
		return l.b[:l.n+1]
	}
	l.b[len(l.b)-1] = '\n'
	return l.b[:]
}

// The kernel's own messages are prefixed so they stand out from the program's.
var kl line

func klog() *line {
	kl.n = 0
	return kl.s("goxen: ")
}

func (l *line) print()    { kwrite(l.get()) }
func (l *line) printAll() { kwriteAll(l.get()) }
