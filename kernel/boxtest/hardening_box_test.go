//go:build box

package boxtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goxen/goxen/box"
	"github.com/goxen/goxen/internal/boxtesting"
)

// Read-only memory stays read-only at ring 0 (CR0.WP): a write after
// mprotect(PROT_READ), to a PROT_READ mapping, and into the program's own
// read-only data each fault, and the fault reaches the program as a Go
// panic through SIGSEGV.
var readOnlyMemoryCheck = check{name: "read-only-memory", pkg: "./kernel/boxtest/testdata/hardening", mode: box.Dom0, cmdline: "rodata",
	want: box.PoweredOff, lines: []string{
		"write after mprotect(PROT_READ): fault",
		"write to a PROT_READ mapping: fault",
		"write to a string literal: fault",
		"string still reads: a string literal lives in read-only data",
		"done"},
	more: func(t testingT, r *box.Result) {
		if strings.Contains(r.Console, "NO FAULT") {
			t.Errorf("a write to read-only memory went through")
		}
	}}

func TestReadOnlyMemory(t *testing.T) { readOnlyMemoryCheck.run(t) }

// The kernel's stacks are out of the program's reach: munmap, madvise,
// mprotect and MAP_FIXED over them fail as Linux fails them beyond
// TASK_SIZE, and threads keep running on them.
var kernelMemoryCheck = check{name: "kernel-memory", pkg: "./kernel/boxtest/testdata/hardening", mode: box.Dom0, cmdline: "kernelmem",
	want: box.PoweredOff, lines: []string{
		"munmap over the kernel's range: EINVAL",
		"madvise(MADV_DONTNEED) over the kernel's range: ENOMEM",
		"mprotect over the kernel's range: ENOMEM",
		"mmap(MAP_FIXED) over the kernel's range: ENOMEM",
		"threads still ran: 4000 switches",
		"done"}}

func TestKernelMemoryOutOfReach(t *testing.T) { kernelMemoryCheck.run(t) }

// SIGTERM with no handler of the program's ends it as on Linux: Go's
// runtime re-raises it with SIG_DFL, whose default action terminates
// (exit status 128+15).
var sigtermCheck = check{name: "sigterm", pkg: "./kernel/boxtest/testdata/hardening", mode: box.Dom0, cmdline: "sigterm",
	want: box.Crashed, lines: []string{"sending SIGTERM to myself", "killed by signal 15", "exit status 143"}}

func TestDefaultSignalAction(t *testing.T) { sigtermCheck.run(t) }

// A console backend that writes hostile input indices ends stdin with an
// error after one line that names it; output keeps working. The program
// plays the backend: it finds the ring by HVM_PARAM_CONSOLE_PFN and
// writes it through the kernel's identity map, which a PVH program, at
// ring 0, can. A PV program has neither (the ring's frame is in
// start_info, and the kernel's memory is out of the guest-user program's
// reach), so in PV the test is skipped; console/ring_test.go checks the
// same refusal on the host.
func TestHostileConsoleInput(t *testing.T) {
	cfg := box.Config{Mode: box.DomU, Memory: 32, Cmdline: "stdin"}
	if boxtesting.Type(t, cfg) == box.PV {
		t.Skip("PV: the program cannot reach the console ring to make it hostile (no HVM params, no identity map in guest-user mode)")
	}
	cfg.Kernel = buildKernel(t, "./kernel/boxtest/testdata/hardening")
	r := boot(t, cfg)
	expect(t, r, box.PoweredOff,
		"input ring made hostile",
		"goxen: console input ring broken, stdin reads fail EIO from now on: console: hostile in ring indices",
		"read 0: n=0 err=read /dev/stdin: input/output error eio=true",
		"read 1: n=0 err=read /dev/stdin: input/output error eio=true",
		"output still works", "done")
	if n := strings.Count(r.Console, "console input ring broken"); n != 1 {
		t.Errorf("the broken ring was named %d times, want once", n)
	}
}

// A command line longer than MAX_GUEST_CMDLINE boots, cut to 1023 bytes,
// with a line that says so. (A domU: xl passes a PVH guest its whole
// command line, while the dom0 path cuts it short before Xen.) A PV
// guest finds it in start_info's cmd_line[MAX_GUEST_CMDLINE] (xen.h),
// where the toolstack has already cut it to 1023 bytes, with nothing to
// say it was longer; the kernel cannot tell, so in PV only the cut is
// checked.
func TestLongCmdline(t *testing.T) {
	k := buildKernel(t, "./kernel/boxtest/testdata/hardening")
	words := "args" + strings.Repeat(" word", 300) // 1504 bytes
	cfg := box.Config{Kernel: k, Mode: box.DomU, Memory: 32, Cmdline: words}
	r := boot(t, cfg)
	// "args" + 203 words of 5 bytes = 1019 bytes, then " wor" to 1023.
	lines := []string{"args: 204 words, 1019 bytes", "done"}
	if boxtesting.Type(t, cfg) == box.PVH {
		lines = append(lines, "goxen: the command line is longer than Xen's limit of 1023 bytes (1504): truncated, the rest is dropped")
	}
	expect(t, r, box.PoweredOff, lines...)
}

// A program's bad pointers and sizes get the errno Linux gives, and the
// guest keeps running: the hardening program's badptr check calls every
// system call the kernel answers that takes a pointer or a size, with
// unmapped, PROT_NONE, read-only, kernel-stack, kernel-memory and
// non-canonical pointers and sizes 0, 2^31, 2^63 and 2^64-1. The same
// program, built without the kernel (-tags native), runs on this Linux
// host, and each case's result is compared; badptrDiffers lists where
// the guest answers otherwise on purpose. Calls on Xen's devices exist
// in the guest only ("guest ..." cases): each must be EFAULT, except a
// read-only buffer the kernel only reads.
func TestHardeningBadPointers(t *testing.T) {
	native := runNative(t, "./kernel/boxtest/testdata/hardening", "badptr")
	k := buildKernel(t, "./kernel/boxtest/testdata/hardening")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 64, Cmdline: "badptr"})
	expect(t, r, box.PoweredOff, "badptr: still running", "done")
	want, wantOrder := badptrResults(native)
	got, gotOrder := badptrResults(r.Console)
	if len(want) < 150 {
		t.Fatalf("the native run gave %d cases:\n%s", len(want), native)
	}
	for _, c := range wantOrder {
		g, ok := got[c]
		switch d, differs := badptrDiffers[c]; {
		case !ok:
			t.Errorf("%s: no result in the guest (Linux: %s)", c, want[c])
		case differs && g == d.guest:
			t.Logf("%s = %s (Linux: %s; differs on purpose: %s)", c, g, want[c], d.why)
		case g != want[c]:
			t.Errorf("%s = %s in the guest, %s on Linux", c, g, want[c])
		default:
			t.Logf("%s = %s, as on Linux", c, g)
		}
	}
	for c, d := range badptrDiffers {
		if _, ok := want[c]; !ok {
			t.Errorf("badptrDiffers names %q, which the program no longer prints (%s)", c, d.why)
		}
	}
	for _, c := range gotOrder {
		if _, ok := want[c]; ok {
			continue
		}
		if !strings.HasPrefix(c, "guest ") {
			t.Errorf("%s = %s in the guest, not run on Linux", c, got[c])
		} else if !strings.HasSuffix(c, "p=read-only") && got[c] != "EFAULT" {
			t.Errorf("%s = %s, want EFAULT", c, got[c])
		} else {
			t.Logf("%s = %s", c, got[c])
		}
	}
}

// badptrDiffers are the cases where the guest answers otherwise than
// Linux on purpose, with its answer and the reason.
var badptrDiffers = map[string]struct{ guest, why string }{
	"mmap(p, 4096, MAP_FIXED_NOREPLACE) p=kernel-memory": {"EPERM",
		"below the program's range (64 GiB up) is the kernel's identity map; Linux maps anything above mmap_min_addr"},
	"munmap(p, 4096) p=kernel-memory": {"EINVAL",
		"the kernel's memory is not the program's to unmap (mm.Space.Munmap); on Linux nothing is mapped there, so 0"},
}

// badptrResults reads the "badptr: CASE = RESULT" lines of out, in order.
func badptrResults(out string) (map[string]string, []string) {
	m := map[string]string{}
	var order []string
	for _, l := range strings.Split(out, "\n") {
		i := strings.Index(l, "badptr: ")
		if i < 0 {
			continue
		}
		c, res, ok := strings.Cut(strings.TrimSpace(l[i+len("badptr: "):]), " = ")
		if !ok {
			continue
		}
		if _, dup := m[c]; !dup {
			order = append(order, c)
		}
		m[c] = res
	}
	return m, order
}

// runNative builds pkg as a plain Linux program (-tags native: without
// the kernel) and runs it on this host with args; it returns the output.
func runNative(t *testing.T, pkg string, args ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "native")
	build := exec.Command("go", "build", "-tags", "native", "-o", bin, pkg)
	build.Dir = "../.."
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building %s natively: %v\n%s", pkg, err, out)
	}
	run := exec.Command(bin, args...)
	out, err := run.Output()
	if err != nil {
		t.Fatalf("running %s natively: %v\n%s", pkg, err, out)
	}
	return strings.ReplaceAll(string(out), "\x00", "")
}
