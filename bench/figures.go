package bench

import (
	"fmt"
	"math"
)

// Step labels of the plan that cmd/xenbench runs, which the figures read.
const (
	LabelFloor      = "floor"       // the hand-assembled floor guest
	LabelHello      = "hello-goxen" // examples/hello as goxen
	LabelPeer       = "linux-peer"  // Linux + busybox: echo, poweroff
	LabelBenchGoxen = "bench-goxen" // bench/guest as goxen
	LabelBenchLinux = "bench-linux" // bench/guest as /init under Linux
	LabelIdleGoxen  = "idle-goxen"  // bench/guest -mode idle as goxen
	LabelIdleLinux  = "idle-linux"  // ... under Linux
	LabelHelloMem   = "hello-goxen-memory"
	LabelPeerMem    = "linux-peer-memory"
)

// Sizes are the host's measurements of the ELF files. The goal
// compares what boots, the stripped hello.elf, with a stripped Linux
// build; the two builds with symbols and DWARF are compared for
// information, so that growth in either half shows.
type Sizes struct {
	Hello          int64 // goxen build of examples/hello: hello.elf, stripped, what Xen boots
	HelloDebug     int64 // its hello.elf.dbg: the same kernel with symbols and DWARF
	LinuxHello     int64 // go build -ldflags='-s -w' of examples/hello for linux/amd64
	LinuxHelloFull int64 // go build of the same, symbols and DWARF kept
}

// Pair is one mode's figures: goxen's and Linux's (NaN: not measured),
// the goal in that mode ("" if none) and whether goxen's figure meets it
// (nil: no goal, or not measured).
type Pair struct {
	Goxen, Linux float64
	Goal         string
	Met          *bool
}

// Ratio is Goxen/Linux, NaN when either is missing or Linux is 0.
func (p Pair) Ratio() float64 {
	if math.IsNaN(p.Goxen) || math.IsNaN(p.Linux) || p.Linux == 0 {
		return math.NaN()
	}
	return p.Goxen / p.Linux
}

// Figure is one row of the results table: the figure in each mode.
type Figure struct {
	Key   string // stable name
	Title string
	Unit  string
	// PVH and PV are the two modes' figures. Floor is the hand-assembled
	// floor guest's (a PVH guest), for the boot figures.
	PVH, PV Pair
	Floor   float64
	// Lower says a lower value is better (else higher).
	Lower bool
	How   string // how it was measured, in a few words
}

// In is the figure's pair in mode m.
func (f Figure) In(m Mode) Pair {
	if m == PV {
		return f.PV
	}
	return f.PVH
}

// Ratio is goxen/Linux in mode m.
func (f Figure) Ratio(m Mode) float64 { return f.In(m).Ratio() }

// GoxenBetter says goxen's figure beats Linux's in mode m (false if
// either is missing).
func (f Figure) GoxenBetter(m Mode) bool {
	r := f.Ratio(m)
	if math.IsNaN(r) {
		return false
	}
	if f.Lower {
		return r < 1
	}
	return r > 1
}

type goal struct {
	text  string
	check func(p Pair) (met, known bool)
}

func ratioAtMost(x float64) goal {
	return goal{fmt.Sprintf("≤ %.1f× Linux", x), func(p Pair) (bool, bool) {
		r := p.Ratio()
		return r <= x, !math.IsNaN(r)
	}}
}

func ratioAtLeast(x float64) goal {
	return goal{fmt.Sprintf("≥ %.1f× Linux", x), func(p Pair) (bool, bool) {
		r := p.Ratio()
		return r >= x, !math.IsNaN(r)
	}}
}

func atMost(x float64, unit string) goal {
	return goal{fmt.Sprintf("≤ %g %s", x, unit), func(p Pair) (bool, bool) {
		return p.Goxen <= x, !math.IsNaN(p.Goxen)
	}}
}

var reported = goal{"reported in the guest", func(p Pair) (bool, bool) {
	return !math.IsNaN(p.Goxen), true
}}

// source is a figure's value in each mode (NaN: not measured).
type source struct {
	at func(m Mode) float64
	// pvh: measured in PVH only (the ELF sizes, the bisections, goxen's
	// own boot moments against no Linux figure): no PV goal.
	pvh bool
}

// pvGoal is the PV goal (issue 22): every PV figure that both kernels
// have at least as good as Linux's as a PV guest.
func pvGoal(lower bool) goal {
	if lower {
		return ratioAtMost(1.0)
	}
	return ratioAtLeast(1.0)
}

// Figures makes the results table's rows from a session and the sizes:
// each figure in each mode, from the mode's steps (ModeLabel). The ELF
// sizes and the memory bisections are the PVH column's only.
func Figures(s *Session, sz Sizes) []Figure {
	nan := math.NaN()
	orNaN := func(v int64) float64 {
		if v <= 0 {
			return nan
		}
		return float64(v) / 1e6
	}
	pvhOnly := func(v float64) source {
		return source{at: func(m Mode) float64 {
			if m != PVH {
				return nan
			}
			return v
		}, pvh: true}
	}
	minMem := func(label string) source {
		m, ok := s.Min[label]
		if !ok || m < 0 {
			return pvhOnly(nan)
		}
		return pvhOnly(float64(m))
	}
	runs := func(label, key string) source {
		return source{at: func(m Mode) float64 { return Median(s.RunsOf(ModeLabel(label, m)), key) }}
	}
	fig := func(label, name string) source {
		return source{at: func(m Mode) float64 { return FigMedian(s.RunsOf(ModeLabel(label, m)), name) }}
	}
	none := pvhOnly(nan)

	var out []Figure
	// add makes the row: g is the PVH goal (nil: none); in PV, the
	// issue's goal for every figure both kernels have.
	add := func(f Figure, gx, lx source, g *goal) {
		for _, m := range AllModes {
			p := Pair{Goxen: gx.at(m), Linux: lx.at(m)}
			mg := g
			if m == PV {
				mg = nil
				if !gx.pvh && !lx.pvh {
					pg := pvGoal(f.Lower)
					mg = &pg
				}
			}
			if mg != nil {
				p.Goal = mg.text
				if met, known := mg.check(p); known {
					p.Met = &met
				}
			}
			if m == PV {
				f.PV = p
			} else {
				f.PVH = p
			}
		}
		out = append(out, f)
	}
	lower := func(key, title, unit, how string, gx, lx source, fl float64, g *goal) {
		add(Figure{Key: key, Title: title, Unit: unit, Floor: fl, Lower: true, How: how}, gx, lx, g)
	}
	higher := func(key, title, unit, how string, gx, lx source, g *goal) {
		add(Figure{Key: key, Title: title, Unit: unit, Floor: nan, Lower: false, How: how}, gx, lx, g)
	}
	p := func(g goal) *goal { return &g }
	floor := func(key string) float64 { return Median(s.RunsOf(LabelFloor), key) }

	lower("elf.hello", "Kernel ELF of hello", "MB", "goxen build (stripped) vs go build -ldflags='-s -w'",
		pvhOnly(orNaN(sz.Hello)), pvhOnly(orNaN(sz.LinuxHello)), nan, p(ratioAtMost(1.1)))
	lower("elf.hello-dbg", "Kernel ELF of hello with symbols and DWARF", "MB", "goxen's hello.elf.dbg vs go build",
		pvhOnly(orNaN(sz.HelloDebug)), pvhOnly(orNaN(sz.LinuxHelloFull)), nan, nil)
	lower("mem.hello", "Smallest memory = that runs it", "MiB", "bisection in the box: hello vs the Linux peer",
		minMem(LabelHelloMem), minMem(LabelPeerMem), nan, p(atMost(4, "MiB")))
	lower("boot.first-byte", "Unpause → first console byte", "ms", "dom0, 1 ms polls of xenconsoled's log; median",
		runs(LabelHello, "first_ms"), runs(LabelPeer, "first_ms"), floor("first_ms"), nil)
	lower("boot.program", "Unpause → program's first line", "ms", "dom0: hello's line vs the peer's echo",
		runs(LabelHello, "program_ms"), runs(LabelPeer, "program_ms"), floor("program_ms"), nil)
	lower("boot.gone", "Unpause → domain shut down", "ms", "dom0, 1 ms polls of getdomaininfo; median",
		runs(LabelHello, "gone_ms"), runs(LabelPeer, "gone_ms"), floor("gone_ms"), nil)
	lower("boot.cpu", "Guest CPU time, whole run", "ms", "getdomaininfo cpu_time at shutdown",
		runs(LabelHello, "cpu_ms"), runs(LabelPeer, "cpu_ms"), floor("cpu_ms"), nil)
	lower("boot.entry", "In guest: unpause → kernel entry", "ms", "goxen: TSC at the kernel's entry, on Xen's clock",
		fig(LabelBenchGoxen, "boot.unpause-entry"), none, nan, nil)
	lower("boot.guest-first-byte", "In guest: unpause → first console byte", "ms", "goxen: Xen time at the console's first byte",
		fig(LabelBenchGoxen, "boot.unpause-first-byte"), none, nan, nil)
	lower("boot.go", "In guest: unpause → Go runtime entered", "ms", "goxen: TSC after the last boot step",
		fig(LabelBenchGoxen, "boot.unpause-go"), none, nan, nil)
	lower("boot.runtime", "In guest: unpause → Go runtime up", "ms", "goxen: Xen time in package kernel's init",
		fig(LabelBenchGoxen, "boot.unpause-runtime"), none, nan, nil)
	lower("boot.main", "In guest: boot → main.main", "ms", "goxen: Xen time from unpause; Linux: CLOCK_BOOTTIME",
		fig(LabelBenchGoxen, "boot.unpause-main"), fig(LabelBenchLinux, "boot.unpause-main"), nan, p(reported))
	lower("boot.cpu-main", "In guest: vCPU time to main.main", "ms", "goxen: runstate running time",
		fig(LabelBenchGoxen, "boot.cpu-main"), none, nan, nil)
	lower("boot.bench-program", "Unpause → bench's first line", "ms", "dom0; the bench binary",
		runs(LabelBenchGoxen, "program_ms"), runs(LabelBenchLinux, "program_ms"), nan, nil)
	lower("syscall.raw", "getpid, RawSyscall", "ns/op", "median of 5 runs of ~100 ms",
		fig(LabelBenchGoxen, "syscall.raw"), fig(LabelBenchLinux, "syscall.raw"), nan, p(ratioAtMost(1.0)))
	lower("syscall.getpid", "getpid, Syscall (entersyscall)", "ns/op", "median of 5 runs",
		fig(LabelBenchGoxen, "syscall.getpid"), fig(LabelBenchLinux, "syscall.getpid"), nan, p(ratioAtMost(1.0)))
	lower("time.now", "time.Now", "ns/op", "median of 5 runs",
		fig(LabelBenchGoxen, "time.now"), fig(LabelBenchLinux, "time.now"), nan, p(ratioAtMost(1.0)))
	lower("cpu.rdtsc", "RDTSC (every clock read)", "ns/op", "emulated TSC: each one exits to Xen",
		fig(LabelBenchGoxen, "cpu.rdtsc"), fig(LabelBenchLinux, "cpu.rdtsc"), nan, nil)
	lower("mem.fault", "Page fault, first touch", "ns/page", "16 MiB of fresh anonymous memory, one write a page",
		fig(LabelBenchGoxen, "mem.fault"), fig(LabelBenchLinux, "mem.fault"), nan, nil)
	lower("chan.pingpong", "Channel ping-pong", "ns/roundtrip", "two goroutines, unbuffered channels",
		fig(LabelBenchGoxen, "chan.pingpong"), fig(LabelBenchLinux, "chan.pingpong"), nan, p(ratioAtMost(1.0)))
	lower("chan.pingpong-locked", "Ping-pong, LockOSThread", "ns/roundtrip", "each goroutine on its own thread: futex",
		fig(LabelBenchGoxen, "chan.pingpong-locked"), fig(LabelBenchLinux, "chan.pingpong-locked"), nan, p(ratioAtMost(1.0)))
	lower("sleep.late-median", "time.Sleep(1ms) lateness, median", "ms", "200 sleeps",
		fig(LabelBenchGoxen, "sleep.1ms.late-median"), fig(LabelBenchLinux, "sleep.1ms.late-median"), nan, nil)
	lower("sleep.late-p90", "time.Sleep(1ms) lateness, p90", "ms", "200 sleeps",
		fig(LabelBenchGoxen, "sleep.1ms.late-p90"), fig(LabelBenchLinux, "sleep.1ms.late-p90"), nan, nil)
	lower("gc.workload", "Alloc+GC workload", "ms", "64 MiB in 64 B-4 KiB objects, ~4 MiB live",
		fig(LabelBenchGoxen, "gc.workload"), fig(LabelBenchLinux, "gc.workload"), nan, nil)
	lower("gc.count", "  its GC cycles", "GCs", "runtime.MemStats.NumGC",
		fig(LabelBenchGoxen, "gc.count"), fig(LabelBenchLinux, "gc.count"), nan, nil)
	lower("gc.pause", "  its GC pause total", "ms", "runtime.MemStats.PauseTotalNs",
		fig(LabelBenchGoxen, "gc.pause-total"), fig(LabelBenchLinux, "gc.pause-total"), nan, nil)
	higher("console.write", "Console throughput, 4 MiB to stdout", "MiB/s", "80-byte lines in 4 KiB writes, guest clock",
		fig(LabelBenchGoxen, "console.write"), fig(LabelBenchLinux, "console.write"), p(ratioAtLeast(1.0)))
	lower("idle.cpu", "Guest CPU over a 10 s idle sleep", "ms", "getdomaininfo cpu_time at IDLE-START and IDLE-DONE",
		runs(LabelIdleGoxen, "idle_cpu_ms"), runs(LabelIdleLinux, "idle_cpu_ms"), nan,
		&goal{"≤ Linux", func(p Pair) (bool, bool) {
			return p.Goxen <= p.Linux, !math.IsNaN(p.Goxen) && !math.IsNaN(p.Linux)
		}})
	return out
}
