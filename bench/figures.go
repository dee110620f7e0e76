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

// Figure is one row of the results table.
type Figure struct {
	Key   string // stable name
	Title string
	Unit  string
	// Goxen, Linux and Floor are the figures (NaN: not measured). Floor
	// is the hand-assembled floor guest's, for the boot figures.
	Goxen, Linux, Floor float64
	// Lower says a lower value is better (else higher).
	Lower bool
	// Goal is the goal for the figure ("" if none); Met says
	// whether the goxen figure reaches it (nil: no goal or not measured).
	Goal string
	Met  *bool
	How  string // how it was measured, in a few words
}

// Ratio is Goxen/Linux, NaN when either is missing or Linux is 0.
func (f Figure) Ratio() float64 {
	if math.IsNaN(f.Goxen) || math.IsNaN(f.Linux) || f.Linux == 0 {
		return math.NaN()
	}
	return f.Goxen / f.Linux
}

// GoxenBetter says goxen's figure beats Linux's (false if either is missing).
func (f Figure) GoxenBetter() bool {
	r := f.Ratio()
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
	check func(f Figure) (met, known bool)
}

func ratioAtMost(x float64) goal {
	return goal{fmt.Sprintf("≤ %.1f× Linux", x), func(f Figure) (bool, bool) {
		r := f.Ratio()
		return r <= x, !math.IsNaN(r)
	}}
}

func ratioAtLeast(x float64) goal {
	return goal{fmt.Sprintf("≥ %.1f× Linux", x), func(f Figure) (bool, bool) {
		r := f.Ratio()
		return r >= x, !math.IsNaN(r)
	}}
}

func atMost(x float64, unit string) goal {
	return goal{fmt.Sprintf("≤ %g %s", x, unit), func(f Figure) (bool, bool) {
		return f.Goxen <= x, !math.IsNaN(f.Goxen)
	}}
}

var reported = goal{"reported in the guest", func(f Figure) (bool, bool) {
	return !math.IsNaN(f.Goxen), true
}}

// Figures makes the results table's rows from a session and the sizes.
func Figures(s *Session, sz Sizes) []Figure {
	nan := math.NaN()
	orNaN := func(v int64) float64 {
		if v <= 0 {
			return nan
		}
		return float64(v) / 1e6
	}
	minMem := func(label string) float64 {
		m, ok := s.Min[label]
		if !ok || m < 0 {
			return nan
		}
		return float64(m)
	}
	runs := func(label, key string) float64 { return Median(s.RunsOf(label), key) }
	fig := func(label, name string) float64 { return FigMedian(s.RunsOf(label), name) }

	var out []Figure
	add := func(f Figure, g *goal) {
		if g != nil {
			f.Goal = g.text
			if met, known := g.check(f); known {
				f.Met = &met
			}
		}
		out = append(out, f)
	}
	lower := func(key, title, unit, how string, gx, lx, fl float64, g *goal) {
		add(Figure{Key: key, Title: title, Unit: unit, Goxen: gx, Linux: lx, Floor: fl, Lower: true, How: how}, g)
	}
	higher := func(key, title, unit, how string, gx, lx float64, g *goal) {
		add(Figure{Key: key, Title: title, Unit: unit, Goxen: gx, Linux: lx, Floor: nan, Lower: false, How: how}, g)
	}
	p := func(g goal) *goal { return &g }

	lower("elf.hello", "Kernel ELF of hello", "MB", "goxen build (stripped) vs go build -ldflags='-s -w'",
		orNaN(sz.Hello), orNaN(sz.LinuxHello), nan, p(ratioAtMost(1.1)))
	lower("elf.hello-dbg", "Kernel ELF of hello with symbols and DWARF", "MB", "goxen's hello.elf.dbg vs go build",
		orNaN(sz.HelloDebug), orNaN(sz.LinuxHelloFull), nan, nil)
	lower("mem.hello", "Smallest memory = that runs it", "MiB", "bisection in the box: hello vs the Linux peer",
		minMem(LabelHelloMem), minMem(LabelPeerMem), nan, p(atMost(4, "MiB")))
	lower("boot.first-byte", "Unpause → first console byte", "ms", "dom0, 1 ms polls of xenconsoled's log; median",
		runs(LabelHello, "first_ms"), runs(LabelPeer, "first_ms"), runs(LabelFloor, "first_ms"), nil)
	lower("boot.program", "Unpause → program's first line", "ms", "dom0: hello's line vs the peer's echo",
		runs(LabelHello, "program_ms"), runs(LabelPeer, "program_ms"), runs(LabelFloor, "program_ms"), nil)
	lower("boot.gone", "Unpause → domain shut down", "ms", "dom0, 1 ms polls of getdomaininfo; median",
		runs(LabelHello, "gone_ms"), runs(LabelPeer, "gone_ms"), runs(LabelFloor, "gone_ms"), nil)
	lower("boot.cpu", "Guest CPU time, whole run", "ms", "getdomaininfo cpu_time at shutdown",
		runs(LabelHello, "cpu_ms"), runs(LabelPeer, "cpu_ms"), runs(LabelFloor, "cpu_ms"), nil)
	lower("boot.entry", "In guest: unpause → PVH entry", "ms", "goxen: TSC at the kernel's entry, on Xen's clock",
		fig(LabelBenchGoxen, "boot.unpause-entry"), nan, nan, nil)
	lower("boot.guest-first-byte", "In guest: unpause → first console byte", "ms", "goxen: Xen time at the console's first byte",
		fig(LabelBenchGoxen, "boot.unpause-first-byte"), nan, nan, nil)
	lower("boot.go", "In guest: unpause → Go runtime entered", "ms", "goxen: TSC after the last boot step",
		fig(LabelBenchGoxen, "boot.unpause-go"), nan, nan, nil)
	lower("boot.runtime", "In guest: unpause → Go runtime up", "ms", "goxen: Xen time in package kernel's init",
		fig(LabelBenchGoxen, "boot.unpause-runtime"), nan, nan, nil)
	lower("boot.main", "In guest: boot → main.main", "ms", "goxen: Xen time from unpause; Linux: CLOCK_BOOTTIME",
		fig(LabelBenchGoxen, "boot.unpause-main"), fig(LabelBenchLinux, "boot.unpause-main"), nan, p(reported))
	lower("boot.cpu-main", "In guest: vCPU time to main.main", "ms", "goxen: runstate running time",
		fig(LabelBenchGoxen, "boot.cpu-main"), nan, nan, nil)
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
		&goal{"≤ Linux", func(f Figure) (bool, bool) {
			return f.Goxen <= f.Linux, !math.IsNaN(f.Goxen) && !math.IsNaN(f.Linux)
		}})
	return out
}
