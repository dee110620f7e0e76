//go:build box

package boxtest

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/goxen/goxen/box"
	"github.com/goxen/goxen/internal/boxtesting"
	"github.com/goxen/goxen/internal/kernelbuild"
)

// buildKernel builds the main package at pkg (relative to the module root)
// into a PVH ELF with what `goxen build` and `make kernel` run
// (kernelbuild.Build: package linker's flags, then Xen's notes).
func buildKernel(t *testing.T, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg)+".elf")
	var log bytes.Buffer
	ks, err := kernelbuild.Build(context.Background(), kernelbuild.Options{
		Dir: "../..", Packages: []string{pkg}, Output: out, Log: &log})
	if err != nil || len(ks) != 1 {
		t.Fatalf("building %s: %v\n%s", pkg, err, log.String())
	}
	t.Logf("kernel %s: %d bytes, image ends at %#x", pkg, ks[0].Size, ks[0].LoadEnd)
	return out
}

var (
	boot   = boxtesting.Boot
	expect = boxtesting.Expect
)

// run boots c alone, as a guest of this run's type (PVH, or PV under
// XENBOX_TYPE=pv), and checks it.
func (c check) run(t *testing.T) *box.Result {
	t.Helper()
	k := buildKernel(t, c.pkg)
	typ := boxtesting.Type(t, box.Config{Mode: c.mode})
	r := boot(t, c.config(k, typ))
	c.expect(t, r, typ)
	return r
}

// expect checks r, the end of c's guest of type typ.
func (c check) expect(t *testing.T, r *box.Result, typ box.Type) {
	t.Helper()
	expect(t, r, c.want, c.linesFor(typ)...)
	if c.more != nil {
		c.more(t, r)
	}
}

// eachType runs body as a subtest per guest type, "pvh" and "pv"; under
// XENBOX_TYPE=pv, where every boot is PV, only "pv".
func eachType(t *testing.T, body func(t *testing.T, typ box.Type)) {
	for _, typ := range []box.Type{box.PVH, box.PV} {
		if boxtesting.Type(t, box.Config{Type: typ}) == typ {
			t.Run(typ.String(), func(t *testing.T) { body(t, typ) })
		}
	}
}

// The main job: hello as a domU started by xl create, at 32 MiB.
var helloCheck = check{name: "hello", pkg: "./examples/hello", mode: box.DomU, memory: 32, want: box.PoweredOff,
	lines: []string{"hello, world"}, byType: map[box.Type][]string{box.PVH: {"PVH start info"}, box.PV: {"PV start info"}}}

func TestHelloDomU(t *testing.T) { helloCheck.run(t) }

// dom0 has no console ring: hello prints through console_io and Xen
// halts the machine when it powers off.
func TestHelloDom0(t *testing.T) {
	k := buildKernel(t, "./examples/hello")
	r := boot(t, box.Config{Kernel: k, Mode: box.Dom0})
	expect(t, r, box.PoweredOff, "hello, world", "SIF_INITDOMAIN",
		"goxen: no xenstore: dom0 starts before any toolstack; running without one")
}

var exitStatusCheck = check{name: "exit-status", pkg: "./kernel/boxtest/testdata/exit3", mode: box.DomU, memory: 32,
	want: box.Crashed, lines: []string{"exiting with status 3", "exit status 3"}}

func TestExitStatus(t *testing.T) { exitStatusCheck.run(t) }

var panicCheck = check{name: "panic", pkg: "./kernel/boxtest/testdata/panic", mode: box.DomU, memory: 32,
	want: box.Crashed, lines: []string{"panic: boom from the guest", "goroutine 1 [running]", "deferred call ran", "exit status 2"}}

func TestPanic(t *testing.T) { panicCheck.run(t) }

// Hello runs in 4 MiB (issue 15): the image is linked at 1 MiB and ends
// near 3.5 MiB, the frames above 64 KiB that it does not use go to the
// allocator, and the program touches about a megabyte (demand-zero
// paging). A clean poweroff at memory = 4 is the whole claim. As a PV
// guest it needs pvSmallestMemory.
var smallMemoryCheck = check{name: "small-memory", pkg: "./examples/hello", mode: box.DomU, memory: 4, pvMemory: pvSmallestMemory,
	want: box.PoweredOff, lines: []string{"hello, world"}}

func TestHelloSmallMemory(t *testing.T) { smallMemoryCheck.run(t) }

// pvSmallestMemory is the least memory, in MiB, Xen's toolstack builds a
// PV goxen guest in: its domain builder maps the image and the bootstrap
// region after it (start info, P2M list, page tables, stack) up to the
// next 4 MiB boundary and refuses a domain with fewer pages than that
// ("count_pgtables: not enough memory for initial mapping", libxenguest's
// xg_dom_x86.c). The image ends near 3.7 MiB, so the mapping ends at
// 8 MiB: at 7 MiB xl create fails, at 8 hello powers off.
const pvSmallestMemory = 8

// A program that runs out of RAM is killed with a line that says so, as
// by Linux's OOM killer (SIGKILL, exit status 137), not left to a page
// fault the kernel cannot resolve. The smallest memory runs out fast.
var outOfMemoryCheck = check{name: "out-of-memory", pkg: "./kernel/boxtest/testdata/oom", mode: box.DomU, memory: 4, pvMemory: pvSmallestMemory,
	want: box.Crashed, lines: []string{"allocating until out of memory", "goxen: out of memory: no free frame for the page at ",
		"killed by signal 9", "exit status 137"}}

func TestOutOfMemory(t *testing.T) { outOfMemoryCheck.run(t) }
