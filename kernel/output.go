package kernel

import (
	"github.com/goxen/goxen/internal/numfmt"
	"github.com/goxen/goxen/pvh"
)

// Kernel output goes through package pvh's sinks: the console ring of a
// domU or console_io of dom0 once initConsole has run, port 0xe9 before
// (replayed on the main console when it is up) and for every fatal
// message.

// consoleWriting is set while the console is written: the ring's wait
// handles events, and nothing it does may write to the console.
var consoleWriting bool

// consoleRingOn reports whether the main console is the ring (it may
// fail and move to port 0xe9 for good).
func consoleRingOn() bool {
	_, _, ok := pvh.ConsoleRing()
	return ok
}

// kwrite writes program or kernel output to the main console.
func kwrite(p []byte) {
	consoleWriting = true
	pvh.Write(p)
	consoleWriting = false
}

// kwriteAll writes to the main console and port 0xe9 (fatal messages).
func kwriteAll(p []byte) {
	consoleWriting = true
	pvh.WriteAll(p)
	consoleWriting = false
}

// flushConsole waits until the backend has taken every byte of the ring.
func flushConsole() { pvh.Flush() }

// line builds one line of kernel output without allocating.
type line struct {
	b [512]byte
	n int
}

// s and bytes append to the line, cut at its end. (n is checked where
// it is used, so that the compiler sees the slice is in range and emits
// no bounds check, whose panic kernel code must not reach.)
func (l *line) s(s string) *line {
	if n := l.n; n >= 0 && n <= len(l.b) {
		l.n = n + copy(l.b[n:], s)
	}
	return l
}

func (l *line) bytes(p []byte) *line {
	if n := l.n; n >= 0 && n <= len(l.b) {
		l.n = n + copy(l.b[n:], p)
	}
	return l
}

func (l *line) hex(v uint64) *line {
	var t [18]byte
	return l.bytes(numfmt.AppendHex64(t[:0], v))
}

func (l *line) dec(v int64) *line {
	var t [21]byte
	return l.bytes(numfmt.AppendInt(t[:0], v))
}

// ms appends ns as milliseconds with two decimals: "12.05".
func (l *line) ms(ns int64) *line {
	var t [24]byte
	return l.bytes(appendMs(t[:0], ns))
}

// appendMs is numfmt.AppendMs (shared with the TamaGo board's timeline).
func appendMs(b []byte, ns int64) []byte { return numfmt.AppendMs(b, ns) }

func (l *line) get() []byte {
	if n := l.n; n >= 0 && n < len(l.b) {
		l.b[n] = '\n'
		return l.b[:n+1]
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
