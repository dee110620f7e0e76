package kernel

import (
	"debug/elf"
	"debug/gosym"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"github.com/goxen/goxen/internal/wbcheck"
	"github.com/goxen/goxen/linker"
)

// A GC write barrier needs the running thread's P (its write barrier
// buffer lives there). Kernel code runs in system calls, traps and upcalls
// on the kernel's own g with no P, and before the runtime exists, so a
// barrier there can fault, or corrupt the program's state. The compiler
// puts one wherever a pointer is stored to memory it cannot prove is on the
// stack: a string, slice, func or interface field of a global included
// (package wbcheck).
//
// TestNoWriteBarrierInKernelContext builds examples/hello as `make kernel`
// does, disassembles it and walks the call graph from every way into the
// kernel. It fails for each function reached that calls a write barrier
// or allocates, and names the path that reaches it. The same walk finds
// the runtime's panic calls (failed bounds checks, division by zero, nil
// wrappers, type assertions, panic itself): kernel code must not panic
// either (doc.go), so each site must be removed or carry its reason
// (checkPanics).

// wbRoots are the ways into kernel code. Each must exist in the binary, so
// that a rename cannot quietly leave a path unchecked.
//
// Only pvhEntry has no reference in the kernel's code (Xen finds it through
// an ELF note). Every other root must also be reached by the walk from
// the others, through a call, a jump or a reference to its address: that
// checks the walk finds the ways code gets to a function, so that a new
// func value or handler is walked without being named here.
//
// Roots marked boot run only before the Go runtime starts. There no
// barrier is ever taken: the runtime's writeBarrier flag is in .bss, which
// zeroBSS has just cleared, and only the garbage collector sets it. A
// barrier in a function reached from those roots alone is allowed (and
// listed with -v); one reached from any other root fails.
var wbRoots = []struct {
	fn, why string
	boot    bool
}{
	{wbPVHEntry, "PVH entry (entry_amd64.s, then pvh.Entry), before the runtime", true},
	// pvh.Entry's first 275 bytes are 32-bit code, which decodes as
	// nonsense in 64-bit mode, and it calls its continuation through a
	// register: name the continuation too.
	{"github.com/goxen/goxen/kernel.boot", "boot path, before the runtime", true},
	{"syscallEntry", "SYSCALL entry (trap_amd64.s)", false},
	{"github.com/goxen/goxen/kernel.syscallGo", "system call handler", false},
	{"trapCommon", "CPU exceptions (vec0..vec31 jump here)", false},
	{"github.com/goxen/goxen/kernel.trap", "exception handler", false},
	{"irqEntry", "event channel upcall vector", false},
	{"github.com/goxen/goxen/kernel.interrupt", "upcall handler", false},
	{"forkReturn", "a new thread's first return to the program", false},
	// Functions stored as func values, called indirectly from kernel
	// context. (References to functions in code and read-only data are
	// followed as edges too; naming them keeps them checked if that
	// ever misses one.)
	{"github.com/goxen/goxen/pvh.kickRing", "console.Ring.Kick", false},
	{"github.com/goxen/goxen/pvh.waitRing", "console.Ring.Wait", false},
	{"github.com/goxen/goxen/kernel.waitConsoleRing", "pvh's console wait (SetConsoleWait)", false},
	{"github.com/goxen/goxen/pvh.writeE9", "pvh's hardware: port 0xe9", false},
	{"github.com/goxen/goxen/pvh.Now", "pvh's hardware: the clock", false},
	{"github.com/goxen/goxen/hypercall.ConsoleWrite", "pvh's hardware: console_io", false},
	{"github.com/goxen/goxen/hypercall.EvtchnSend", "pvh's hardware: the ring's kick", false},
	{"github.com/goxen/goxen/kernel.onEvent", "evtchn.Scan callback", false},
	{"github.com/goxen/goxen/pvh.(*PhysMem).Contains", "startinfo.Memory (its itab holds the pointer wrappers), at boot", true},
	{"github.com/goxen/goxen/pvh.(*PhysMem).ReadAt", "startinfo.Memory, at boot", true},
	{"github.com/goxen/goxen/kernel.(*identity).Entry", "mm.Phys, in page faults and mmap", false},
	{"github.com/goxen/goxen/kernel.(*identity).SetEntry", "mm.Phys, in page faults and mmap", false},
	{"github.com/goxen/goxen/kernel.(*identity).Zero", "mm.Phys, in page faults and mmap", false},
	{"github.com/goxen/goxen/kernel.(*identity).Invlpg", "mm.Phys, in page faults and mmap", false},
}

// wbPVHEntry is the one root nothing in the binary refers to.
const wbPVHEntry = "github.com/goxen/goxen/kernel.pvhEntry.abi0"

// wbProgramOnly are functions the walk does not enter: they are reached
// in the call graph but only run in program context, on a goroutine with a
// P. Keep this list tiny, and say why for each. (None is needed today.)
var wbProgramOnly = map[string]string{}

func TestNoWriteBarrierInKernelContext(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the kernel with: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "hello")
	cmd := exec.Command(goTool, "build", "-ldflags="+linker.LDFlags(), "-o", bin, "./examples/hello")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), linker.BuildEnv()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building examples/hello: %v\n%s", err, out)
	}
	img, err := loadImage(bin)
	if err != nil {
		t.Fatal(err)
	}

	for fn := range wbProgramOnly {
		if _, ok := img.funcs[fn]; !ok {
			t.Errorf("wbProgramOnly names %s, which is not in the binary", fn)
		}
	}
	for _, r := range wbRoots {
		if _, ok := img.funcs[r.fn]; !ok {
			t.Errorf("root %s (%s) is not in the binary: update wbRoots", r.fn, r.why)
		}
	}
	// Two walks: from the roots that run with the runtime up (their
	// barriers fail the test), and from every root (for the check that
	// each root is reached, and to list the boot path's barriers).
	live := img.walk(t, false)
	all := img.walk(t, true)
	referenced := all.referenced
	// Allocation is as bad as a barrier, and before the runtime too: the
	// heap does not exist yet, and kernel context has no P to allocate
	// with. (A local that escapes, because it is passed through an
	// interface, is allocated with runtime.newobject.)
	for _, fn := range slices.Sorted(maps.Keys(all.allocs)) {
		t.Errorf("allocation in kernel context: %s\n\tcalls %s\n\treached by %s",
			short(fn), strings.Join(all.allocs[fn], ", "), all.path(fn))
	}
	for _, r := range wbRoots {
		if _, ok := img.funcs[r.fn]; ok && r.fn != wbPVHEntry && !referenced[r.fn] {
			t.Errorf("no walked code leads to root %s (%s): the walk misses how it is reached", short(r.fn), r.why)
		}
	}
	if testing.Verbose() {
		var names []string
		for fn := range all.parent {
			if !isRuntime(fn) {
				names = append(names, short(fn))
			}
		}
		sort.Strings(names)
		t.Logf("walked %d functions: %s", all.walked, strings.Join(names, " "))
		for _, fn := range slices.Sorted(maps.Keys(all.sites)) {
			if _, ok := live.sites[fn]; !ok {
				t.Logf("allowed, before the runtime only: %s calls %s (reached by %s)", short(fn), strings.Join(all.sites[fn], ", "), all.path(fn))
			}
		}
	}
	checkPanics(t, all)
	for _, fn := range slices.Sorted(maps.Keys(live.sites)) {
		t.Errorf("write barrier in kernel context: %s\n\tcalls %s\n\treached by %s",
			short(fn), strings.Join(live.sites[fn], ", "), live.path(fn))
	}
}

// walkResult is a breadth-first walk of the call graph: parent records
// how each function was reached ("" for a root), so a finding can name
// its path.
type walkResult struct {
	parent     map[string]string
	sites      map[string][]string // offending function: its barrier calls
	allocs     map[string][]string // offending function: its allocation calls
	panics     map[string][]string // function: its panic calls, "callee at file:line"
	referenced map[string]bool     // functions some walked code leads to
	walked     int
}

func (w *walkResult) path(fn string) string {
	var p []string
	for ; fn != ""; fn = w.parent[fn] {
		p = append(p, short(fn))
	}
	slices.Reverse(p)
	return strings.Join(p, " -> ")
}

// walk walks from the roots that run with the runtime up, and also from
// the boot roots if withBoot.
func (img *image) walk(t *testing.T, withBoot bool) *walkResult {
	w := &walkResult{parent: map[string]string{}, sites: map[string][]string{}, allocs: map[string][]string{},
		panics: map[string][]string{}, referenced: map[string]bool{}}
	var queue []string
	for _, r := range wbRoots {
		if _, ok := img.funcs[r.fn]; !ok || r.boot && !withBoot {
			continue
		}
		if _, dup := w.parent[r.fn]; !dup {
			w.parent[r.fn] = ""
			queue = append(queue, r.fn)
		}
	}
	for len(queue) > 0 {
		fn := queue[0]
		queue = queue[1:]
		if isRuntime(fn) {
			continue // a leaf: barrier calls are judged at the call site
		}
		if _, ok := wbProgramOnly[fn]; ok {
			continue
		}
		w.walked++
		edges, err := img.edges(fn)
		if err != nil {
			t.Errorf("%s (reached by %s): %v", short(fn), w.path(fn), err)
		}
		for _, e := range edges {
			w.referenced[e.to] = true
			if isAlloc(e.to) && !allocAllowed(e.to, img.line(e.pc)) {
				site := fmt.Sprintf("%s at %s", e.to, img.line(e.pc))
				if !slices.Contains(w.allocs[fn], site) {
					w.allocs[fn] = append(w.allocs[fn], site)
				}
				continue
			}
			if wbcheck.IsPanic(e.to) {
				site := fmt.Sprintf("%s at %s", e.to, img.fullLine(e.pc))
				if !slices.Contains(w.panics[fn], site) {
					w.panics[fn] = append(w.panics[fn], site)
				}
				continue
			}
			if wbcheck.IsBarrier(e.to) {
				site := fmt.Sprintf("%s at %s", e.to, img.line(e.pc))
				if !slices.Contains(w.sites[fn], site) {
					w.sites[fn] = append(w.sites[fn], site)
				}
				continue
			}
			if _, ok := w.parent[e.to]; !ok {
				w.parent[e.to] = fn
				queue = append(queue, e.to)
			}
		}
	}
	return w
}

// allocCalls are the runtime's ways into the heap allocator that the
// compiler emits for new, make, escaping locals, conversions to
// interfaces and string concatenation: each call allocates. (append's
// runtime.growslice is left out: it allocates only past the capacity,
// which the kernel's appenders size for; and so is the string conversion
// that strconv's formatting leaves behind, which only String paths use.)
var allocCalls = []string{
	"runtime.newobject", "runtime.mallocgc", "runtime.makeslice",
	"runtime.makemap", "runtime.makechan", "runtime.convT", "runtime.concatstring",
	"runtime.rawstring", "runtime.rawbyteslice", "runtime.newproc",
}

// allocAllowed names the allocation calls that never allocate where the
// kernel reaches them, each with the reason.
func allocAllowed(callee, site string) bool {
	// hypercall.Result turns -rc into an Errno error. runtime.convT64
	// takes values below 256 from a static table without allocating, and
	// Xen's errno values (errno.h) all are.
	return callee == "runtime.convT64" && site == "errno.go:200" // hypercall.Result, inlined
}

func isAlloc(fn string) bool {
	for _, c := range allocCalls {
		if strings.HasPrefix(fn, c) {
			return true
		}
	}
	return false
}

func isRuntime(fn string) bool {
	return strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "internal/runtime/")
}

func short(fn string) string { return strings.TrimPrefix(fn, "github.com/goxen/goxen/") }

// image is a linked kernel: its functions, data symbols and sections.
type image struct {
	f      *elf.File
	funcs  map[string]elf.Symbol // text symbols by name
	starts map[uint64]string     // function entry addresses
	data   []elf.Symbol          // other symbols, by address
	lines  *gosym.Table
}

func loadImage(path string) (*image, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	text := f.Section(".text")
	if text == nil {
		return nil, fmt.Errorf("%s: no .text", path)
	}
	img := &image{f: f, funcs: map[string]elf.Symbol{}, starts: map[uint64]string{}}
	for _, s := range syms {
		if s.Value >= text.Addr && s.Value < text.Addr+text.Size && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			img.funcs[s.Name] = s
			img.starts[s.Value] = s.Name
		} else if s.Value != 0 {
			img.data = append(img.data, s)
		}
	}
	sort.Slice(img.data, func(i, j int) bool { return img.data[i].Value < img.data[j].Value })
	if pcln := f.Section(".gopclntab"); pcln != nil {
		if b, err := pcln.Data(); err == nil {
			img.lines, _ = gosym.NewTable(nil, gosym.NewLineTable(b, text.Addr))
		}
	}
	return img, nil
}

// line is file:line of pc, as far as the binary says.
func (img *image) line(pc uint64) string {
	if img.lines != nil {
		if file, line, _ := img.lines.PCToLine(pc); file != "" {
			return fmt.Sprintf("%s:%d", filepath.Base(file), line)
		}
	}
	return fmt.Sprintf("%#x", pc)
}

// fullLine is path:line of pc.
func (img *image) fullLine(pc uint64) string {
	if img.lines != nil {
		if file, line, _ := img.lines.PCToLine(pc); file != "" {
			return fmt.Sprintf("%s:%d", file, line)
		}
	}
	return fmt.Sprintf("%#x", pc)
}

// read returns n bytes at virtual address addr, if the file holds them.
func (img *image) read(addr uint64, n int) []byte {
	for _, s := range img.f.Sections {
		if s.Type == elf.SHT_PROGBITS && addr >= s.Addr && addr+uint64(n) <= s.Addr+s.Size {
			b := make([]byte, n)
			if _, err := s.ReadAt(b, int64(addr-s.Addr)); err != nil {
				return nil
			}
			return b
		}
	}
	return nil
}

type edge struct {
	pc uint64 // the instruction
	to string // the function called, jumped to, or whose address is taken
}

// edges decodes fn and returns where it can lead: the targets of its
// direct calls and of its jumps to other functions, and every function
// whose address it takes, directly (LEAQ fn) or through a func value or
// an itab in memory it references (a function value or an interface method
// called later).
func (img *image) edges(fn string) ([]edge, error) {
	s := img.funcs[fn]
	code := img.read(s.Value, int(s.Size))
	if code == nil {
		return nil, fmt.Errorf("no code in the file")
	}
	var out []edge
	add := func(pc, addr uint64) {
		if to, ok := img.starts[addr]; ok && to != fn {
			out = append(out, edge{pc, to})
		}
	}
	var firstErr error
	for off := 0; off < len(code); {
		pc := s.Value + uint64(off)
		inst, err := x86asm.Decode(code[off:], 64)
		if err != nil {
			if firstErr == nil && code[off] != 0xcc { // int3 padding is expected
				firstErr = fmt.Errorf("cannot decode % x at %#x (%s)", code[off:min(off+8, len(code))], pc, img.line(pc))
			}
			off++
			continue
		}
		next := pc + uint64(inst.Len)
		for _, a := range inst.Args {
			switch a := a.(type) {
			case x86asm.Rel:
				add(pc, uint64(int64(next)+int64(a)))
			case x86asm.Mem:
				if a.Base != x86asm.RIP {
					continue
				}
				// A RIP-relative operand has a 32-bit displacement, which
				// x86asm may leave zero-extended.
				addr := uint64(int64(next) + int64(int32(a.Disp)))
				if _, ok := img.starts[addr]; ok {
					add(pc, addr)
					continue
				}
				for _, w := range img.wordsAt(addr) {
					add(pc, w)
				}
			}
		}
		off += inst.Len
	}
	return out, firstErr
}

// wordsAt returns the 8-byte words that memory at addr may hold as code
// pointers: the word at addr (a func value), and for a small read-only
// symbol that starts at addr (an itab, a table of funcs) every word of it.
func (img *image) wordsAt(addr uint64) []uint64 {
	return img.funcvals(img.rawWordsAt(addr))
}

// funcvals adds, for each word that points into .rodata at no function,
// the word there: a func value of a top-level function is a pointer to a
// read-only word holding the function's address, which is how a struct of
// func fields laid out as static data (pvh's hardware) holds them.
func (img *image) funcvals(words []uint64) []uint64 {
	ro := img.f.Section(".rodata")
	for _, w := range words {
		if _, ok := img.starts[w]; ok || ro == nil || w < ro.Addr || w+8 > ro.Addr+ro.Size {
			continue
		}
		if b := img.read(w, 8); b != nil {
			words = append(words, binary.LittleEndian.Uint64(b))
		}
	}
	return words
}

func (img *image) rawWordsAt(addr uint64) []uint64 {
	var words []uint64
	if b := img.read(addr, 8); b != nil {
		words = append(words, binary.LittleEndian.Uint64(b))
	}
	i := sort.Search(len(img.data), func(i int) bool { return img.data[i].Value > addr }) - 1
	if i < 0 {
		return words
	}
	s := img.data[i]
	if s.Value != addr || s.Size <= 8 || s.Size > 4096 {
		return words
	}
	if itab, ok := strings.CutPrefix(s.Name, "go:itab."); ok {
		// "go:itab.T,I": T's methods for interface I. Follow those of the
		// module's interfaces (startinfo.Memory, mm.Phys). Those of the
		// standard library's (error's Error, fmt.Stringer's String) format
		// and allocate, so kernel code never calls them: a function that
		// merely returns an error would otherwise bring in all of fmt.
		if _, iface, _ := strings.Cut(itab, ","); !strings.HasPrefix(iface, "github.com/goxen/goxen/") {
			return words
		}
	}
	if b := img.read(addr, int(s.Size)); b != nil {
		for o := 8; o+8 <= len(b); o += 8 {
			words = append(words, binary.LittleEndian.Uint64(b[o:]))
		}
	}
	return words
}

// checkPanics fails for every runtime panic call reachable from a kernel
// entry (the boot path's included: a panic there ends the domain too)
// that is not shown unreachable: a "kernel:nopanic" comment with the
// reason on the line of the call or the line above it, or, for code that
// cannot carry one, an entry of panicAllowed. An entry of panicAllowed
// that no longer matches a site fails, so the list only shrinks.
func checkPanics(t *testing.T, w *walkResult) {
	usedAllowed := map[string]bool{}
	n := 0
	for _, fn := range slices.Sorted(maps.Keys(w.panics)) {
		for _, site := range w.panics[fn] {
			callee, at, _ := strings.Cut(site, " at ")
			if why, ok := panicAllowed[short(fn)]; ok {
				usedAllowed[short(fn)] = true
				if testing.Verbose() {
					t.Logf("%s at %s: allowed: %s", callee, at, why)
				}
				continue
			}
			if why, ok := nopanicMarker(at); ok {
				if testing.Verbose() {
					t.Logf("%s at %s: cannot panic: %s", callee, short(at), why)
				}
				continue
			}
			n++
			t.Errorf("panic in kernel context: %s\n\tcalls %s at %s\n\treached by %s",
				short(fn), callee, at, w.path(fn))
		}
	}
	for fn, why := range panicAllowed {
		if !usedAllowed[fn] {
			t.Errorf("panicAllowed names %s (%s), which reaches no panic now: drop it", fn, why)
		}
	}
	if n > 0 {
		t.Logf("%d panic sites without a kernel:nopanic reason", n)
	}
}

// panicAllowed are functions whose panic calls cannot carry a marker,
// with why none is taken in kernel context.
var panicAllowed = map[string]string{
	"internal/strconv.formatBits": "the standard library's: indices stay inside its 65-byte buffer, and " +
		"the bad-base panic needs a base outside 2..36 (the kernel's callers pass 10)",
	"internal/strconv.formatBase10": "the standard library's: indices stay inside its buffer (see formatBits)",
	"internal/strconv.AppendUint":   "the standard library's: see formatBits",
	"pvh.(*PhysMem).Contains":       "a compiler-made pointer wrapper: startinfo.Memory holds a PhysMem value",
	"pvh.(*PhysMem).ReadAt":         "a compiler-made pointer wrapper; see (*PhysMem).Contains",
}

// nopanicMarker finds the "kernel:nopanic" reason at path:line.
func nopanicMarker(at string) (string, bool) {
	i := strings.LastIndex(at, ":")
	if i < 0 {
		return "", false
	}
	line, err := strconv.Atoi(at[i+1:])
	if err != nil {
		return "", false
	}
	src, err := os.ReadFile(at[:i])
	if err != nil {
		return "", false
	}
	lines := strings.Split(string(src), "\n")
	for _, l := range []int{line - 1, line - 2} {
		if l >= 0 && l < len(lines) {
			if _, why, ok := strings.Cut(lines[l], "kernel:nopanic "); ok {
				return strings.TrimSpace(why), true
			}
		}
	}
	return "", false
}
