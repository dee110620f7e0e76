package main

import (
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/goxen/goxen/hypercall"
)

// A figure measured per operation: run f(n) for n operations, n chosen so
// that one run takes about runTime, then runs times more; the median of
// those runs' per-op times is the figure (the median resists a run that
// the emulated machine stalled).
const (
	runTime = 100 * time.Millisecond
	runs    = 5
)

func perOp(f func(n int)) time.Duration {
	n := 1
	for {
		t := time.Now()
		f(n)
		d := time.Since(t)
		if d >= runTime/4 || n >= 1<<30 {
			// Scale to about runTime.
			if d > 0 {
				n = int(float64(n) * float64(runTime) / float64(d))
			}
			break
		}
		n *= 4
	}
	n = max(n, 1)
	ds := make([]time.Duration, runs)
	for i := range ds {
		t := time.Now()
		f(n)
		ds[i] = time.Since(t) / time.Duration(n)
		if ds[i] == 0 { // finer than a ns: keep the fraction
			ds[i] = 1
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// perOpNs is perOp in fractional nanoseconds (a per-op time under 1 ns
// would round to 0).
func perOpNs(f func(n int)) float64 {
	n := 1
	var d time.Duration
	for {
		t := time.Now()
		f(n)
		d = time.Since(t)
		if d >= runTime/4 || n >= 1<<30 {
			break
		}
		n *= 4
	}
	if d > 0 {
		n = max(1, int(float64(n)*float64(runTime)/float64(d)))
	}
	ns := make([]float64, runs)
	for i := range ns {
		t := time.Now()
		f(n)
		ns[i] = float64(time.Since(t)) / float64(n)
	}
	sort.Float64s(ns)
	return ns[len(ns)/2]
}

type figureFunc struct {
	name string
	run  func(w io.Writer, consoleMiB int)
}

// The figures, in the order they run. Names are stable: package bench
// knows them.
var figureFuncs = []figureFunc{
	{"syscall.raw", func(io.Writer, int) {
		emit("syscall.raw", perOpNs(func(n int) {
			for i := 0; i < n; i++ {
				syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
			}
		}), "ns/op")
	}},
	{"syscall.getpid", func(io.Writer, int) {
		// The full path: entersyscall, SYSCALL, exitsyscall.
		emit("syscall.getpid", perOpNs(func(n int) {
			for i := 0; i < n; i++ {
				syscall.Syscall(syscall.SYS_GETPID, 0, 0, 0)
			}
		}), "ns/op")
	}},
	{"time.now", func(io.Writer, int) {
		var sink int64
		emit("time.now", perOpNs(func(n int) {
			for i := 0; i < n; i++ {
				sink += time.Now().UnixNano()
			}
		}), "ns/op")
		_ = sink
	}},
	{"cpu.rdtsc", func(io.Writer, int) {
		// Every clock read is an RDTSC; under the box's Xen the TSC is
		// emulated, so each one exits to Xen, in either kernel.
		var sink uint64
		emit("cpu.rdtsc", perOpNs(func(n int) {
			for i := 0; i < n; i++ {
				sink += hypercall.RDTSC()
			}
		}), "ns/op")
		_ = sink
	}},
	{"mem.fault", func(io.Writer, int) { pageFaults() }},
	{"chan.pingpong", func(io.Writer, int) {
		emit("chan.pingpong", perOpNs(func(n int) { pingPong(n, false) }), "ns/roundtrip")
	}},
	{"chan.pingpong-locked", func(io.Writer, int) {
		emit("chan.pingpong-locked", perOpNs(func(n int) { pingPong(n, true) }), "ns/roundtrip")
	}},
	{"sleep.1ms", func(io.Writer, int) { sleepLateness() }},
	{"gc", func(io.Writer, int) { gcWorkload() }},
	{"console.write", func(w io.Writer, mib int) { consoleWrite(w, mib) }},
}

func runAll(w io.Writer, prefixes []string, consoleMiB int) {
	for _, f := range figureFuncs {
		if !selected(f.name, prefixes) {
			continue
		}
		f.run(w, consoleMiB)
	}
}

func selected(name string, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if p != "" && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// pageFaults maps 16 MiB of fresh anonymous memory and touches each
// page once: the cost of a demand-zero page fault (what the Go runtime's
// start pays for every page it first uses).
func pageFaults() {
	const size = 16 << 20
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return
	}
	t := time.Now()
	for i := 0; i < size; i += 4096 {
		b[i] = 1
	}
	d := time.Since(t)
	syscall.Munmap(b)
	emit("mem.fault", float64(d)/float64(size/4096), "ns/page")
}

// pingPong bounces a token n times between two goroutines through
// unbuffered channels. locked: each goroutine is locked to its own
// thread, so every hand-over is a thread switch (a futex wake and wait).
func pingPong(n int, locked bool) {
	ping, pong := make(chan int), make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if locked {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
		}
		for v := range ping {
			pong <- v
		}
	}()
	if locked {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	close(ping)
	wg.Wait()
}

// sleepLateness: time.Sleep(1ms), 200 times; how late each wake-up is.
func sleepLateness() {
	const n = 200
	late := make([]float64, n)
	for i := range late {
		t := time.Now()
		time.Sleep(time.Millisecond)
		late[i] = float64(time.Since(t)-time.Millisecond) / 1e6
	}
	sort.Float64s(late)
	emit("sleep.1ms.late-median", late[n/2], "ms")
	emit("sleep.1ms.late-p90", late[n*9/10], "ms")
	emit("sleep.1ms.late-max", late[n-1], "ms")
}

// gcWorkload allocates 64 MiB in objects of 64 B to 4 KiB while keeping
// about 4 MiB live (a ring of 2048 slots), and reports its time, the
// collections it caused and their total pause.
func gcWorkload() {
	const (
		total = 64 << 20
		slots = 2048
	)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	live := make([][]byte, slots)
	t := time.Now()
	allocated, i := 0, 0
	for allocated < total {
		size := 64 << (i % 7) // 64 B .. 4 KiB
		b := make([]byte, size)
		b[0], b[size-1] = byte(i), byte(i)
		live[(i*7919)%slots] = b
		allocated += size
		i++
	}
	d := time.Since(t)
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(live)
	emit("gc.workload", float64(d)/1e6, "ms")
	emit("gc.count", float64(after.NumGC-before.NumGC), "GCs")
	emit("gc.pause-total", float64(after.PauseTotalNs-before.PauseTotalNs)/1e6, "ms")
}

// consoleWrite writes mib MiB of 80-byte lines ("~" lines, which the
// dom0 side leaves out of what it forwards) to w in 4 KiB writes.
func consoleWrite(w io.Writer, mib int) {
	line := strings.Repeat("~", 79) + "\n"
	chunk := []byte(strings.Repeat(line, 4096/len(line)))
	total := mib << 20
	t := time.Now()
	written := 0
	for written < total {
		n, err := w.Write(chunk)
		written += n
		if err != nil {
			break
		}
	}
	d := time.Since(t)
	emit("console.write", float64(written)/(1<<20)/d.Seconds(), "MiB/s")
}
