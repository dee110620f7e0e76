//go:build box

package boxtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/box"
	"github.com/goxen/goxen/internal/boxtesting"
)

// cpu is QEMU's CPU model for TamaGo guests: package amd64 reads RDRAND
// without checking CPUID, so the CPU must have it.
const cpu = "qemu64,+svm,+npt,+rdrand,+pdpe1gb"

// tamago returns $TAMAGO, or skips the test saying what is missing.
func tamago(t *testing.T) string {
	t.Helper()
	g := os.Getenv("TAMAGO")
	if g == "" {
		t.Skip("TAMAGO is not set: TamaGo box tests skipped. Set TAMAGO to the go command of a tamago-go toolchain (tag tamago-go1.26.0, built by hand; see the README section \"TamaGo flavour\")")
	}
	if fi, err := os.Stat(g); err != nil || fi.IsDir() {
		t.Skipf("TAMAGO=%s is not a go command (%v): TamaGo box tests skipped", g, err)
	}
	return g
}

// buildHello builds examples/hello for GOOS=tamago with `make
// kernel-tamago`, so the flavour's tags and link flags live in one place
// (tamago/tamago.mk), as the stock kernel's live in package linker.
func buildHello(t *testing.T) string { return build(t, "./examples/hello") }

// build builds the main package prog (relative to the module root) the
// same way.
func build(t *testing.T, prog string) string {
	t.Helper()
	g := tamago(t)
	out := filepath.Join(t.TempDir(), filepath.Base(prog)+"-tamago.elf")
	cmd := exec.Command("make", "--no-print-directory", "kernel-tamago", "TAMAGO="+g, "PROG="+prog, "OUT="+out)
	cmd.Dir = "../.."
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make kernel-tamago: %v\n%s", err, b)
	}
	t.Logf("%s", b)
	return out
}

func boot(t *testing.T, cfg box.Config) *box.Result {
	t.Helper()
	cfg.QEMUCPU = cpu
	r := boxtesting.Boot(t, cfg)
	t.Logf("first byte %v after unpause, run %v", r.Timings.FirstByte, r.Timings.Run)
	return r
}

var expect = boxtesting.Expect

// smallestDomU is the smallest domU memory (MiB) measured to run hello
// (40 fails, 44 works): the image ends near 35 MiB because Go 1.26's FIPS
// entropy scratch buffer (crypto/internal/fips140/drbg.memory, pulled in
// by TamaGo's RNG) is 32 MiB of .bss, which Xen must back; then the
// runtime's first 4 MiB heap arena, the boot stack and TamaGo's
// RamStackOffset (1 MiB).
const smallestDomU = 44

// hello as a domU created by xl: its output must come through the console
// ring (xenconsoled), and it powers off.
func TestTamagoHelloDomU(t *testing.T) {
	k := buildHello(t)
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: smallestDomU})
	expect(t, r, box.PoweredOff, "hello, world", "goxen: boot (pvh): first console byte ")
}

// hello as a PVH dom0: console_io, and Xen halts when it powers off.
func TestTamagoHelloDom0(t *testing.T) {
	k := buildHello(t)
	r := boot(t, box.Config{Kernel: k, Mode: box.Dom0, Memory: 64})
	expect(t, r, box.PoweredOff, "hello, world")
}

// The same ELF as a classic PV domU (xl.cfg type = "pv"): package pv's
// bring-up, the RAM past Xen's bootstrap region mapped by mmu_update, the
// console ring found through the M2P.
func TestTamagoHelloPVDomU(t *testing.T) {
	k := buildHello(t)
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Type: box.PV, Memory: smallestDomU})
	expect(t, r, box.PoweredOff, "hello, world", "goxen: boot (pv): first console byte ")
}

// As a PV dom0 (Xen's dom0=pv, its default, as in Xen 4.17's qemu-smoke
// pv job): console_io, and Xen halts when it powers off.
func TestTamagoHelloPVDom0(t *testing.T) {
	k := buildHello(t)
	r := boot(t, box.Config{Kernel: k, Mode: box.Dom0, Type: box.PV, Memory: 64})
	expect(t, r, box.PoweredOff, "hello, world")
}

// A nil dereference in PV, once the runtime runs and before it exists
// (goxen.pv-fault makes package pv store through nil right after its trap
// table, console and nil guard are in place), is reported with its
// vector, RIP and CR2, and the domain ends crashed.
func TestTamagoPVFaults(t *testing.T) {
	k := build(t, "./tamago/boxtest/testdata/nilderef")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Type: box.PV, Memory: smallestDomU})
	expect(t, r, box.Crashed, "about to dereference nil", "goxen: fatal: PV trap 14 #PF page fault, error 0x", ", CR2 0x0, RSP 0x")

	h := buildHello(t)
	r = boot(t, box.Config{Kernel: h, Mode: box.DomU, Type: box.PV, Memory: smallestDomU, Cmdline: "goxen.pv-fault"})
	expect(t, r, box.Crashed, "goxen: fatal: PV trap 14 #PF page fault, error 0x", ", CR2 0x0, RSP 0x")
	if strings.Contains(r.Console, "hello, world") {
		t.Error("the runtime ran after the early fault")
	}
}

// A standard-library workload (GC over a heap past Xen's PV bootstrap
// region, timers, goroutines, maps, sorting, hashing) prints the same
// lines as a PVH and as a PV domU.
func TestTamagoStdlibPVAndPVH(t *testing.T) {
	k := build(t, "./tamago/boxtest/testdata/stdlib")
	var out [2]string
	for i, typ := range []box.Type{box.PVH, box.PV} {
		r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Type: typ, Memory: 96})
		expect(t, r, box.PoweredOff, "gc ran: true", "slept long enough: true", "stdlib: done")
		// The boot timeline's figures differ from boot to boot.
		for _, l := range strings.SplitAfter(r.Console, "\n") {
			if !strings.HasPrefix(l, "goxen: boot (") {
				out[i] += l
			}
		}
	}
	if out[0] != out[1] {
		t.Errorf("PVH and PV consoles differ:\n--- pvh\n%s\n--- pv\n%s", out[0], out[1])
	}
}

// As a PV domU the board idles in SCHEDOP_block until VIRQ_TIMER
// (pv.Idle): three seconds of sleep cost the guest well under a second of
// CPU time, and the sleeps end on time.
func TestTamagoPVIdle(t *testing.T) {
	k := build(t, "./tamago/boxtest/testdata/sleep")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Type: box.PV, Memory: smallestDomU})
	expect(t, r, box.PoweredOff, "slept at least 3s: true")
	t.Logf("guest CPU time %v over a run of %v", r.CPUTime, r.Timings.Run)
	if r.CPUTime < 0 || r.CPUTime > time.Second {
		t.Errorf("guest CPU time %v for 3 s of sleep: the idle vCPU did not sleep in Xen", r.CPUTime)
	}
}
