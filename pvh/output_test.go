package pvh

import (
	"strings"
	"testing"

	"github.com/goxen/goxen/console"
)

// fakeOut resets the global console to recording fakes.
type fakeOut struct {
	e9, cio  strings.Builder
	cioRC    int
	kicks    int
	waits    int
	consumed bool // waits drain the ring, as a backend would
	page     console.Interface
}

func newFakeOut(t *testing.T) *fakeOut {
	f := &fakeOut{}
	out = output{}
	oldHW := hw
	hw = hardware{
		e9:        func(p []byte) { f.e9.Write(p) },
		consoleIO: func(p []byte) int { f.cio.Write(p); return f.cioRC },
		kick:      func(uint32) int { f.kicks++; return 0 },
		wait: func(int64) {
			f.waits++
			if f.consumed {
				f.page.OutCons = f.page.OutProd
			}
		},
		now: func() int64 { return 0 },
	}
	t.Cleanup(func() { out, hw, mainAt = output{}, oldHW, 0 })
	return f
}

func (f *fakeOut) ringText() string {
	return string(f.page.Out[f.page.OutCons&(console.OutSize-1) : f.page.OutProd&(console.OutSize-1)])
}

func puts(s string) {
	for i := 0; i < len(s); i++ {
		Putc(s[i])
	}
}

func TestOutputE9UntilConsole(t *testing.T) {
	f := newFakeOut(t)
	puts("early\npart")
	if got := f.e9.String(); got != "early\n" {
		t.Errorf("port 0xe9 got %q, want the finished line only", got)
	}
	Flush()
	if got := f.e9.String(); got != "early\npart" {
		t.Errorf("after flush port 0xe9 got %q", got)
	}
	if ConsoleName() != "port 0xe9" {
		t.Errorf("ConsoleName %q", ConsoleName())
	}
}

func TestOutputRingOneKickPerLine(t *testing.T) {
	f := newFakeOut(t)
	f.consumed = true
	out.useRing(&f.page, 7)
	puts("hello, world\n")
	if f.kicks != 1 {
		t.Errorf("%d kicks for one line, want 1", f.kicks)
	}
	if got := string(f.page.Out[:14]); got != "hello, world\r\n" {
		t.Errorf("ring holds %q, want CRLF line", got)
	}
	if f.e9.Len() != 0 {
		t.Errorf("port 0xe9 got %q", f.e9.String())
	}
	if ConsoleName() != "console ring" || consolePorts[0] != 7 {
		t.Errorf("ConsoleName %q, poll port %d", ConsoleName(), consolePorts[0])
	}
}

// A line longer than the buffer goes out in pieces, none lost.
func TestOutputLongLine(t *testing.T) {
	f := newFakeOut(t)
	f.consumed = true
	out.useRing(&f.page, 1)
	long := strings.Repeat("x", 600)
	puts(long)
	Flush()
	if got := string(f.page.Out[:600]); got != long {
		t.Errorf("ring got %d bytes of %d", len(strings.TrimRight(got, "\x00")), len(long))
	}
}

func TestOutputRingBadIndices(t *testing.T) {
	f := newFakeOut(t)
	out.useRing(&f.page, 1)
	f.page.OutCons = 5000 // cons ahead of prod: only a hostile backend does that
	puts("lost?\n")
	want := "goxen: console ring: "
	if got := f.e9.String(); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "lost?\n") {
		t.Errorf("port 0xe9 got %q, want the ring error then the line", got)
	}
	if ConsoleName() != "port 0xe9" || !out.failed {
		t.Errorf("still on %q after a ring failure", ConsoleName())
	}
}

func TestOutputConsoleIO(t *testing.T) {
	f := newFakeOut(t)
	out.useConsoleIO()
	puts("dom0 says hi\n")
	if f.cio.String() != "dom0 says hi\n" || f.e9.Len() != 0 {
		t.Errorf("console_io %q, e9 %q", f.cio.String(), f.e9.String())
	}
	// A refused console_io (-EPERM) moves output to port 0xe9, keeping the line.
	f.cioRC = -1
	puts("refused\n")
	if f.e9.String() != "refused\n" || ConsoleName() != "port 0xe9" {
		t.Errorf("after -EPERM: e9 %q, console %q", f.e9.String(), ConsoleName())
	}
}

// fatal reaches port 0xe9 as well as the main console.
func TestOutputFatal(t *testing.T) {
	f := newFakeOut(t)
	out.useConsoleIO()
	puts("pending")
	out.fatal("bad start info: ", []byte("magic 0x0"))
	want := "pendinggoxen: fatal: bad start info: magic 0x0\n"
	if f.cio.String() != want {
		t.Errorf("console_io got %q, want %q", f.cio.String(), want)
	}
	if f.e9.String() != "goxen: fatal: bad start info: magic 0x0\n" {
		t.Errorf("port 0xe9 got %q", f.e9.String())
	}
}

func TestOutputNoAlloc(t *testing.T) {
	f := newFakeOut(t)
	f.consumed = true
	out.useRing(&f.page, 1)
	if n := testing.AllocsPerRun(20, func() { puts("no heap here\n") }); n != 0 {
		t.Errorf("putc allocates %v times per line", n)
	}
}

// What was written before the main console existed is replayed there.
func TestOutputReplayEarly(t *testing.T) {
	f := newFakeOut(t)
	f.consumed = true
	Write([]byte("goxen: booting\n"))
	out.useRing(&f.page, 3)
	Write([]byte("main\n"))
	if got := string(f.page.Out[:22]); got != "goxen: booting\r\nmain\r\n" {
		t.Errorf("ring holds %q, want the early line replayed first", got)
	}
	if f.e9.String() != "goxen: booting\n" {
		t.Errorf("port 0xe9 got %q", f.e9.String())
	}
}

// The boot timeline's "first console byte" is the moment the main
// console is chosen and the replay begins; before that it is unknown.
func TestMainConsoleAt(t *testing.T) {
	f := newFakeOut(t)
	hw.now = func() int64 { return 4242 }
	puts("early\n")
	if MainConsoleAt() != 0 {
		t.Fatalf("MainConsoleAt = %d before any main console, want 0", MainConsoleAt())
	}
	f.consumed = true
	out.useRing(&f.page, 7)
	if MainConsoleAt() != 4242 {
		t.Fatalf("MainConsoleAt = %d after useRing, want the time of the replay", MainConsoleAt())
	}
}
