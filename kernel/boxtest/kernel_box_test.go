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

// The main job: hello as a domU started by xl create, at 32 MiB.
func TestHelloDomU(t *testing.T) {
	k := buildKernel(t, "./examples/hello")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 32})
	expect(t, r, box.PoweredOff, "hello, world", "PVH start info")
}

// dom0 has no console ring: hello prints through console_io and Xen
// halts the machine when it powers off.
func TestHelloDom0(t *testing.T) {
	k := buildKernel(t, "./examples/hello")
	r := boot(t, box.Config{Kernel: k, Mode: box.Dom0})
	expect(t, r, box.PoweredOff, "hello, world", "SIF_INITDOMAIN",
		"goxen: no xenstore: dom0 starts before any toolstack; running without one")
}

func TestExitStatus(t *testing.T) {
	k := buildKernel(t, "./kernel/boxtest/testdata/exit3")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 32})
	expect(t, r, box.Crashed, "exiting with status 3", "exit status 3")
}

func TestPanic(t *testing.T) {
	k := buildKernel(t, "./kernel/boxtest/testdata/panic")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 32})
	expect(t, r, box.Crashed, "panic: boom from the guest", "goroutine 1 [running]", "deferred call ran", "exit status 2")
}

// Hello runs in 4 MiB (issue 15): the image is linked at 1 MiB and ends
// near 3.5 MiB, the frames above 64 KiB that it does not use go to the
// allocator, and the program touches about a megabyte (demand-zero
// paging). A clean poweroff at memory = 4 is the whole claim.
func TestHelloSmallMemory(t *testing.T) {
	k := buildKernel(t, "./examples/hello")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 4})
	expect(t, r, box.PoweredOff, "hello, world")
}

// A program that runs out of RAM is killed with a line that says so, as
// by Linux's OOM killer (SIGKILL, exit status 137), not left to a page
// fault the kernel cannot resolve. memory = 4 runs out fast.
func TestOutOfMemory(t *testing.T) {
	k := buildKernel(t, "./kernel/boxtest/testdata/oom")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 4})
	expect(t, r, box.Crashed, "allocating until out of memory", "goxen: out of memory: no free frame for the page at ",
		"killed by signal 9", "exit status 137")
}
