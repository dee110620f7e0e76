//go:build box

package boxtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/goxen/goxen/box"
	"github.com/goxen/goxen/internal/boxtesting"
	"github.com/goxen/goxen/linker"
)

// buildKernel builds the main package at dir (relative to the module root)
// into a PVH ELF, as `make kernel` does.
func buildKernel(t *testing.T, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg)+".elf")
	cmd := exec.Command("go", "build", "-ldflags="+linker.LDFlags(), "-o", out+".go", pkg)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), linker.BuildEnv()...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	in, err := os.ReadFile(out + ".go")
	if err != nil {
		t.Fatal(err)
	}
	elf, err := linker.AddNotes(in, linker.Options{})
	if err != nil {
		t.Fatalf("adding Xen notes: %v", err)
	}
	if err := os.WriteFile(out, elf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("kernel %s: %d bytes", pkg, len(elf))
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

// Hello needs little memory: the image ends near 4.6 MiB and the program
// touches about a megabyte more (demand-zero paging). 5 MiB is the
// smallest size that works; test a little above it.
func TestHelloSmallMemory(t *testing.T) {
	k := buildKernel(t, "./examples/hello")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 6})
	expect(t, r, box.PoweredOff, "hello, world")
}
