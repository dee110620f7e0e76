package pv

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goxen/goxen/linker"
)

// A PV guest kernel runs in ring 3: these instructions raise #GP (or are
// refused or silently ignored) there, so none may appear on the PV path.
// The mnemonics are Go's, as go tool objdump prints them.
//
//   - port I/O: IN/OUT and their string forms (port 0xe9 included: #GP in
//     a domU, and dom0 is denied that port);
//   - HLT, CLI, STI (#GP, or no-ops with IOPL);
//   - descriptor tables: LIDT, LGDT, LLDT, LTR;
//   - MOV to CR0/CR3/CR4 (CR0 writes other than TS are refused), MOV from
//     any CR (CR2 is in vcpu_info instead), CLTS, LMSW;
//   - TLB and cache: INVLPG, INVD, WBINVD;
//   - MSRs: WRMSR, RDMSR (emulated one at a time, at a #GP each, if at all);
//   - SWAPGS, SYSRET (ring 0 only).
var privileged = regexp.MustCompile(`^(IN[BWL]?|OUT[BWL]?|INS[BWL]|OUTS[BWL]|HLT|CLI|STI|LIDT|LGDT|LLDT|LTR|CLTS|LMSW|INVLPG|INVD|WBINVD|WRMSR|RDMSR|SWAPGS|SYSRET[LQ]?)(\s|$)|^MOV[LQ] \S+, CR[034]$|^MOV[LQ] CR[0-8], \S+$`)

// The PV path's code: package pv whole, the kernel's PV entry, and the
// functions of packages pvh and hypercall that it calls.
var pvPath = regexp.MustCompile(`^TEXT github\.com/goxen/goxen/(pv\.|kernel\.pv(Entry|Boot)|pvh\.(Fatal|Shutdown|Write|WriteAll|Putc|Flush|PollConsole|Now|Use\w+|SetDebugSink|SharedInfoPage|HypercallPage|EarlyFS|EarlyStackTop|PhysMem\.\w+|kickRing|waitRing|\(\*output\)\.\w+)|hypercall\.(Call|Set\w+|Check\w+|Page|MMU\w+|Update\w+|Register\w+|Maximum\w+|Sched\w+|Evtchn\w+|ConsoleWrite|rc|RDTSC)|sharedinfo\.|console\.|startinfo\.)`)

// TestNoPrivilegedInstructions builds examples/hello as a kernel and
// disassembles the PV path in it.
func TestNoPrivilegedInstructions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a kernel")
	}
	elf := filepath.Join(t.TempDir(), "hello.elf")
	cmd := exec.Command("go", "build", "-ldflags="+linker.LDFlags(), "-o", elf, "./examples/hello")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), linker.BuildEnv()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dis, err := exec.Command("go", "tool", "objdump", elf).Output()
	if err != nil {
		t.Fatal(err)
	}
	checkKernelPrivileged(t, string(dis))
	found, funcs := scanPrivileged(string(dis), pvPath)
	if funcs < 40 {
		t.Fatalf("only %d functions of the PV path found: is the pattern stale?", funcs)
	}
	for _, f := range found {
		t.Errorf("privileged instruction on the PV path: %s", f)
	}
	t.Logf("%d functions of the PV path scanned", funcs)

	// The check can fail: PVH's own code has them (HLT in pvh.halt, LGDT
	// and MOV to CR3 in pvh.Entry).
	found, _ = scanPrivileged(string(dis), regexp.MustCompile(`^TEXT github\.com/goxen/goxen/pvh\.(halt|Entry)\.abi0`))
	t.Logf("control: %q", found)
	if all := strings.Join(found, " "); !strings.Contains(all, "halt.abi0(SB): HLT") || !strings.Contains(all, ": LGDT") || !strings.Contains(all, ", CR3") {
		t.Errorf("the scan found only %q in pvh.halt and pvh.Entry, want HLT, LGDT and a MOV to CR3", found)
	}
}

// scanPrivileged returns the privileged instructions in the functions of
// an objdump listing whose TEXT line matches fn, and how many functions
// matched.
func scanPrivileged(dis string, fn *regexp.Regexp) (found []string, funcs int) {
	in := false
	name := ""
	for _, l := range strings.Split(dis, "\n") {
		if strings.HasPrefix(l, "TEXT ") {
			in = fn.MatchString(l)
			if in {
				funcs++
				name = strings.Fields(l)[1]
			}
			continue
		}
		if !in {
			continue
		}
		f := strings.Split(strings.TrimSpace(l), "\t")
		// file:line, address, bytes, instruction (tabs may repeat).
		var parts []string
		for _, p := range f {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		if len(parts) < 4 {
			continue
		}
		if inst := parts[3]; privileged.MatchString(inst) {
			found = append(found, name+": "+inst)
		}
	}
	return found, funcs
}

// pvhOnly are the kernel's functions that hold privileged instructions:
// each runs only under PVH (at ring 0), and the PV path goes around it
// (kernel/pv.go: pvMode). A new function with a privileged instruction
// fails checkKernelPrivileged until it is listed here, with its PV
// counterpart.
var pvhOnly = map[string]string{
	"readCR2":      "faultAddr reads vcpu_info.arch.cr2 under PV",
	"readCR3":      "pageTableRoot uses the L4's MFN under PV",
	"readCR0":      "protectImage; PV: pvProtectImage",
	"writeCR0":     "protectImage; PV: pvProtectImage",
	"invlpg":       "mm's PVH backend; PV: pv.PageTables flushes with mmuext_op",
	"lgdt":         "initTraps; PV: pvInitTraps",
	"lidt":         "initTraps; PV: pvInitTraps",
	"ltr":          "initTraps; PV: pvInitTraps",
	"enterRuntime": "PV: pvEnterRuntime",
	"syscallEntry": "PV: pvSyscallEntry",
	"userReturn":   "PV: pvUserReturn",
	"forkReturn":   "PV: pvForkReturn",
	"irqEntry":     "PV: pvEventEntry",
	"trapCommon":   "PV: pvTrapCommon",
	"pvhEntry":     "the PVH entry itself",
}

// checkKernelPrivileged scans every function of package kernel: those
// with a privileged instruction must be PVH-only ones.
func checkKernelPrivileged(t *testing.T, dis string) {
	found, funcs := scanPrivileged(dis, regexp.MustCompile(`^TEXT \S+ \S*/kernel/[^/]+$`))
	if funcs < 200 {
		t.Fatalf("only %d functions of package kernel found: is the pattern stale?", funcs)
	}
	seen := map[string]bool{}
	for _, f := range found {
		name := strings.TrimPrefix(f[:strings.Index(f, ":")], "github.com/goxen/goxen/kernel.")
		name = strings.TrimSuffix(strings.TrimSuffix(name, "(SB)"), ".abi0")
		name = strings.TrimSuffix(name, "<>")
		name = strings.TrimSuffix(name, "(SB)")
		seen[name] = true
		if _, ok := pvhOnly[name]; !ok {
			t.Errorf("privileged instruction in a kernel function not known to be PVH-only: %s", f)
		}
	}
	// The check can fail: the PVH entries are in the list because they hold them.
	for _, must := range []string{"lgdt", "syscallEntry", "irqEntry", "readCR2"} {
		if !seen[must] {
			t.Errorf("the scan found no privileged instruction in kernel.%s, which has one (found: %q)", must, found)
		}
	}
}
