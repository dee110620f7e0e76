//go:build box

package boxtest

import (
	"strings"
	"testing"

	"github.com/goxen/goxen/box"
)

// Read-only memory stays read-only at ring 0 (CR0.WP): a write after
// mprotect(PROT_READ), to a PROT_READ mapping, and into the program's own
// read-only data each fault, and the fault reaches the program as a Go
// panic through SIGSEGV.
func TestReadOnlyMemory(t *testing.T) {
	k := buildKernel(t, "./kernel/boxtest/testdata/hardening")
	r := boot(t, box.Config{Kernel: k, Mode: box.Dom0, Cmdline: "rodata"})
	expect(t, r, box.PoweredOff,
		"write after mprotect(PROT_READ): fault",
		"write to a PROT_READ mapping: fault",
		"write to a string literal: fault",
		"string still reads: a string literal lives in read-only data",
		"done")
	if strings.Contains(r.Console, "NO FAULT") {
		t.Error("a write to read-only memory went through")
	}
}

// The kernel's stacks are out of the program's reach: munmap, madvise,
// mprotect and MAP_FIXED over them fail as Linux fails them beyond
// TASK_SIZE, and threads keep running on them.
func TestKernelMemoryOutOfReach(t *testing.T) {
	k := buildKernel(t, "./kernel/boxtest/testdata/hardening")
	r := boot(t, box.Config{Kernel: k, Mode: box.Dom0, Cmdline: "kernelmem"})
	expect(t, r, box.PoweredOff,
		"munmap over the kernel's range: EINVAL",
		"madvise(MADV_DONTNEED) over the kernel's range: ENOMEM",
		"mprotect over the kernel's range: ENOMEM",
		"mmap(MAP_FIXED) over the kernel's range: ENOMEM",
		"threads still ran: 4000 switches",
		"done")
}

// SIGTERM with no handler of the program's ends it as on Linux: Go's
// runtime re-raises it with SIG_DFL, whose default action terminates
// (exit status 128+15).
func TestDefaultSignalAction(t *testing.T) {
	k := buildKernel(t, "./kernel/boxtest/testdata/hardening")
	r := boot(t, box.Config{Kernel: k, Mode: box.Dom0, Cmdline: "sigterm"})
	expect(t, r, box.Crashed, "sending SIGTERM to myself", "killed by signal 15", "exit status 143")
}

// A console backend that writes hostile input indices ends stdin with an
// error after one line that names it; output keeps working.
func TestHostileConsoleInput(t *testing.T) {
	k := buildKernel(t, "./kernel/boxtest/testdata/hardening")
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 32, Cmdline: "stdin"})
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
// command line, while the dom0 path cuts it short before Xen.)
func TestLongCmdline(t *testing.T) {
	k := buildKernel(t, "./kernel/boxtest/testdata/hardening")
	words := "args" + strings.Repeat(" word", 300) // 1504 bytes
	r := boot(t, box.Config{Kernel: k, Mode: box.DomU, Memory: 32, Cmdline: words})
	// "args" + 203 words of 5 bytes = 1019 bytes, then " wor" to 1023.
	expect(t, r, box.PoweredOff,
		"goxen: the command line is longer than Xen's limit of 1023 bytes (1504): truncated, the rest is dropped",
		"args: 204 words, 1019 bytes", "done")
}
