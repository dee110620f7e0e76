// Command smoke is a boot-path smoke test for Xen: booted as a PVH or
// classic PV guest (a domU from xl, or dom0 straight from Xen), it checks each step of the
// path the goxen kernel took, printing one line per check, and ends with
// XTF's result line:
//
//	PASS  time.tsc-rate: TSC ran 2000.112 MHz over 300.0 ms of pvclock; ...
//	SKIP  console.ring: dom0 has no console ring: ... (domU only)
//	FAIL  memory.checksum: ...; expected every checksum to match
//	Test result: FAILURE
//
// The result is SUCCESS when every check that could run passed, SKIP when
// none could run, ERROR when a check could not measure, FAILURE when one
// measured something wrong; it only ever gets worse. On SUCCESS and SKIP
// the domain powers off; otherwise it crashes, so `xl list`, on_crash and
// Xen's CI all see the outcome, and the last console line is the result
// line. scripts/smoke-runner runs it on a Xen host as xtf-runner runs XTF
// tests.
//
// The command line (Xen's guest command line) takes -run CHECKS, -fail
// CHECK, -v and -list; see usage in plan.go.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/goxen/goxen/console"
	"github.com/goxen/goxen/hypercall"
	"github.com/goxen/goxen/kernel"
)

func main() {
	opts, err := ParseOptions(os.Args[1:])
	if err != nil {
		for _, l := range strings.Split(err.Error(), "\n") {
			fmt.Println("smoke: " + l)
		}
		fmt.Println(FormatLine(Result{Check: "options", Verdict: Error, Measured: strings.Split(err.Error(), "\n")[0], Expected: "a valid command line"}))
		finish(ErrorStatus)
	}
	if opts.List {
		for _, c := range checkNames {
			fmt.Println("smoke: check " + c)
		}
		finish(SkipAll)
	}
	if kernel.SharedInfo() == nil || hypercall.Page() == 0 {
		fmt.Println(FormatLine(Result{Check: "environment", Verdict: Error,
			Measured: "not booted by the goxen kernel under Xen (no hypercall page or shared info)", Expected: "a Xen PVH or PV guest"}))
		fmt.Println(ResultLine(ErrorStatus))
		os.Exit(ErrorStatus.ExitCode())
	}
	e := newEnv(opts)
	fmt.Printf("smoke: goxen boot-path smoke test as %s: %d of %d checks\n", e.mode, len(opts.Run), len(checkNames))
	r := NewReport(os.Stdout, opts.Verbose)
	t0 := time.Now()
	for _, name := range opts.Run {
		res := runCheck(e, name)
		if name == opts.Fail {
			res = forceFail(res)
		}
		r.Add(res)
	}
	e.closeLoopback()
	if e.xs != nil {
		e.xs.Close()
	}
	fmt.Printf("smoke: %d checks in %.2f s\n", len(opts.Run), time.Since(t0).Seconds())
	finish(r.Status())
}

// runCheck runs one check; a panic in it is an ERROR naming the panic.
func runCheck(e *env, name string) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			res = Result{Verdict: Error, Measured: fmt.Sprintf("panic: %v", p), Expected: "the check to finish",
				Detail: strings.Split(string(debug.Stack()), "\n")}
		}
		res.Check = name
	}()
	f := checks[name]
	if f == nil {
		return errorf("no implementation", "one")
	}
	if why := notHere(name, e.mode); why != "" {
		return skip("%s", why)
	}
	return f(e)
}

// finish prints the result line and ends the domain: powered off for
// SUCCESS and SKIP, crashed otherwise. The crash is asked of Xen here,
// once the console backend has taken everything, rather than by a
// non-zero exit: the kernel would print "goxen: exit status N" after the
// result line, and the result line must be the last (xtf-runner and
// Xen's CI read it there).
func finish(s Status) {
	fmt.Println(ResultLine(s))
	if s.ExitCode() == 0 || s == SkipAll {
		os.Exit(0)
	}
	drainConsole(2 * time.Second)
	hypercall.SchedShutdown(hypercall.SHUTDOWN_crash)
	// Only if Xen refused: the kernel crashes the domain for us.
	os.Exit(s.ExitCode())
}

// drainConsole waits, up to d, for the console backend to consume the
// ring the kernel writes (a domU's, PVH or PV; dom0's console_io writes
// are synchronous).
func drainConsole(d time.Duration) {
	pfn, _, ok := kernel.ConsoleRing()
	if !ok {
		return
	}
	ring := (*console.Interface)(at(uintptr(pfn << 12)))
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if atomic.LoadUint32(&ring.OutCons) == atomic.LoadUint32(&ring.OutProd) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
