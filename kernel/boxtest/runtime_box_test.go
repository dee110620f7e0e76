//go:build box

package boxtest

import (
	"testing"
	"time"

	"github.com/goxen/goxen/box"
)

// time.Sleep, time.Ticker and time.AfterFunc fire on time against Xen
// system time (the guest's clock is Xen's pvclock), and that clock runs
// true against an outside one, the host's.
func TestTimers(t *testing.T) {
	t.Run("ticker", func(t *testing.T) { tickerCheck.run(t) })
	// The ticker measures the guest's clock with itself, so a pvclock
	// read at the wrong scale passes it. Here the host's arrival times of
	// the guest's "clock mark" lines are the outside clock: in dom0 mode
	// console_io reaches the serial port at once, and QEMU's emulated TSC,
	// which Xen's system time follows, keeps to the host's clock.
	// In both modes: the PV clock path (vcpu_info's time, the event
	// callback) is its own.
	t.Run("outside-clock", func(t *testing.T) { eachType(t, outsideClock) })
}

func outsideClock(t *testing.T, typ box.Type) {
	k := buildKernel(t, "./kernel/boxtest/testdata/clock")
	r := boot(t, box.Config{Kernel: k, Mode: box.Dom0, Type: typ, Timeout: 30 * time.Second})
	expect(t, r, box.PoweredOff, "clock done")
	f, err := fitClock(r.ConsoleLines)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FIGURES clock: guest %.3f s vs host %.3f s, %+.2f %% (%d marks, arrival jitter %.1f ms)",
		f.Guest.Seconds(), f.Host.Seconds(), 100*(f.Ratio-1), f.Marks, float64(f.Jitter)/1e6)
	if d := f.Ratio - 1; d <= -0.02 || d >= 0.02 {
		t.Errorf("the guest's clock ran %.3f s while the host's ran %.3f s: %+.2f %%, want within 2 %%",
			f.Guest.Seconds(), f.Host.Seconds(), 100*d)
	}
	// Lines held back and passed on together would make a clock that
	// runs true look wrong, or a wrong one look true.
	if f.Jitter >= maxArrivalJitter {
		t.Errorf("the clock marks reached the host up to %v off their schedule, want under %v", f.Jitter, maxArrivalJitter)
	}
}

var tickerCheck = check{name: "ticker", pkg: "./kernel/boxtest/testdata/ticker", mode: box.DomU, memory: 32,
	want: box.PoweredOff, more: checkTicker}

// checkTicker fits the ticker's samples and holds them to the bounds.
func checkTicker(t testingT, r *box.Result) {
	t.Helper()
	f, err := fitTimers(r.Console)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Logf("FIGURES ticker: earliest wakeup %.3f ms late, schedule drift %.3f ms/s, %d ticks dropped; sleep %v, afterfunc %v, tick %v",
		float64(f.Earliest)/1e6, f.Drift, f.Dropped, f.Sleep, f.After, f.Tick)
	for _, p := range timerProblems(f) {
		t.Errorf("%s", p)
	}
}

// maxArrivalJitter bounds how far a dom0 console line's arrival at the
// host may stray from the schedule the guest printed it on.
const maxArrivalJitter = 200 * time.Millisecond

// An idle guest blocks in Xen: its CPU time over a 10 s sleep must be
// under 10 % of a guest that busy-waits for 10 s.
func TestIdleCPU(t *testing.T) {
	idleVersusBusy(t, idleCheck.run(t), busyCheck.run(t))
}

var (
	idleCheck = check{name: "idle", pkg: "./kernel/boxtest/testdata/idle", mode: box.DomU, memory: 32,
		want: box.PoweredOff, lines: []string{"done"}}
	busyCheck = check{name: "busy", pkg: "./kernel/boxtest/testdata/busy", mode: box.DomU, memory: 32,
		want: box.PoweredOff, lines: []string{"done"}}
)

// idleVersusBusy compares the CPU time of idleCheck's guest with
// busyCheck's, as xl list reports them.
func idleVersusBusy(t testingT, idle, busy *box.Result) {
	t.Helper()
	if idle.CPUTime < 0 || busy.CPUTime <= 0 {
		t.Fatalf("no CPU time reported (idle %v, busy %v)", idle.CPUTime, busy.CPUTime)
	}
	ratio := float64(idle.CPUTime) / float64(busy.CPUTime)
	t.Logf("FIGURES idle 10s: guest cpu %v; busy 10s: guest cpu %v; ratio %.1f%%", idle.CPUTime, busy.CPUTime, 100*ratio)
	if ratio >= 0.10 {
		t.Errorf("idle guest used %.1f%% of the busy guest's CPU time, want under 10%%", 100*ratio)
	}
}

// In dom0 mode (no console ring) an idle kernel must block in Xen too:
// measured from outside, by the CPU time QEMU burns while the guest
// sleeps 10 s, from its "sleeping 10s" line to its "done" line (boot and
// shutdown excluded), against a guest that busy-waits 10 s.
func TestIdleDom0(t *testing.T) {
	idle := boot(t, box.Config{Kernel: buildKernel(t, "./kernel/boxtest/testdata/idle"), Mode: box.Dom0, Timeout: 60 * time.Second})
	expect(t, idle, box.PoweredOff, "done")
	busy := boot(t, box.Config{Kernel: buildKernel(t, "./kernel/boxtest/testdata/busy"), Mode: box.Dom0, Timeout: 60 * time.Second})
	expect(t, busy, box.PoweredOff, "done")
	ic, ih, err := cpuBetween(idle.ConsoleLines, "sleeping 10s", "done")
	if err != nil {
		t.Fatalf("idle: %v", err)
	}
	bc, bh, err := cpuBetween(busy.ConsoleLines, "busy-waiting 10s", "done")
	if err != nil {
		t.Fatalf("busy: %v", err)
	}
	ratio := float64(ic) / float64(bc)
	t.Logf("FIGURES dom0 idle 10s: qemu cpu %.2fs over %.2fs of host time; busy 10s: qemu cpu %.2fs over %.2fs; ratio %.1f%%",
		ic.Seconds(), ih.Seconds(), bc.Seconds(), bh.Seconds(), 100*ratio)
	// The meter must see a busy vCPU, or the ratio proves nothing.
	if ih < 9*time.Second || bh < 9*time.Second || bc < bh/2 {
		t.Fatalf("implausible measure: idle span %v, busy span %v with QEMU cpu %v", ih, bh, bc)
	}
	if ratio >= maxIdleDom0Ratio {
		t.Errorf("QEMU burnt %.1f%% as much CPU time while the guest slept as while it busy-waited, want under %.0f%%: the dom0 idle path spins",
			100*ratio, 100*maxIdleDom0Ratio)
	}
}

// maxIdleDom0Ratio bounds QEMU's CPU time over a dom0 guest's 10 s sleep
// as a fraction of its CPU time over a 10 s busy-wait.
const maxIdleDom0Ratio = 0.25

// Each line typed into the console comes back.
var echoCheck = check{name: "echo", pkg: "./examples/echo", mode: box.DomU, memory: 32, timeout: 90 * time.Second,
	input: []string{"first line", "second line", "third line", "quit"},
	want:  box.PoweredOff, lines: []string{"echo: first line", "echo: second line", "echo: third line", "bye"}}

func TestEcho(t *testing.T) { echoCheck.run(t) }

// A goroutine that computes without calls must not starve a ticker
// (GOMAXPROCS=1): the timer tick lets sysmon run and SIGURG preempts.
func TestPreemption(t *testing.T) {
	k := buildKernel(t, "./kernel/boxtest/testdata/cpubound")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 32, Timeout: 30 * time.Second})
	expect(t, r, box.PoweredOff, "ticker fired 10 times")
}

// A nil dereference is a Go panic with a trace, as on Linux.
var nilDereferenceCheck = check{name: "nil-dereference", pkg: "./kernel/boxtest/testdata/nilderef", mode: box.DomU, memory: 32,
	want: box.Crashed, lines: []string{
		"panic: runtime error: invalid memory address or nil pointer dereference",
		"[signal SIGSEGV: segmentation violation code=0x1 addr=0x0",
		"main.main()", "exit status 2"}}

func TestNilDereference(t *testing.T) { nilDereferenceCheck.run(t) }

// The Xen command line becomes os.Args[1:] and, before "--", KEY=VALUE
// words the environment.
func TestArgsAndEnv(t *testing.T) {
	k := buildKernel(t, "./kernel/boxtest/testdata/args")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 32, Cmdline: "GREETING=hi one -- two X=Y"})
	expect(t, r, box.PoweredOff, `args ["one" "two" "X=Y"]`, `GREETING="hi"`, "env GOMAXPROCS=1")
}

// 300 MB allocated, at most 8 MB live, at memory = 32.
func TestGCStress(t *testing.T) {
	k := buildKernel(t, "./examples/gcstress")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 32, Timeout: 120 * time.Second})
	expect(t, r, box.PoweredOff, "all checksums good")
}
