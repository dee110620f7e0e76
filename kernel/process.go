package kernel

import (
	"unsafe"

	"github.com/goxen/goxen/startinfo"
)

// The Linux process start: what a Linux kernel gives a new process, and
// what the Go runtime's _rt0_amd64_linux expects. The stack holds argc,
// argv, envp and the auxiliary vector; the Xen command line supplies the
// words.

const (
	mainStackSize = 256 << 10
	atNull        = 0
	atPagesz      = 6
	atRandom      = 25
)

// enterGo builds the stack a Linux kernel gives a new process (argc,
// argv, envp, auxv) and jumps to the Go runtime's ELF entry point.
func enterGo() {
	base := mapStack(&space, mainStackSize, "the main stack") // the program's, as on Linux
	top := base + mainStackSize

	// Strings and the AT_RANDOM bytes go at the very top.
	sp := top
	// A word takes at least two bytes of the command line (one and a
	// space), so 512 of each holds every word of the longest one.
	var argv, envp [startinfo.MaxCmdline/2 + 2]uintptr
	argc, envc := 0, 0
	push := func(s string) uintptr {
		sp = pushString(sp, s)
		return sp
	}
	// kernel:nopanic argc is 0 here
	argv[argc] = push("goxen")
	argc++
	// kernel:nopanic CmdlineLen <= len(Cmdline): startinfo's reader caps it
	splitCmdline(si.Cmdline[:si.CmdlineLen], func(w []byte, env bool) {
		if env && envc < len(envp)-3 {
			// kernel:nopanic envc < len(envp)-3, checked above; a word is never empty (splitCmdline)
			envp[envc] = push(unsafe.String(&w[0], len(w)))
			envc++
		} else if !env && argc < len(argv)-1 {
			// kernel:nopanic argc < len(argv)-1, checked above; a word is never empty (splitCmdline)
			argv[argc] = push(unsafe.String(&w[0], len(w)))
			argc++
		}
	})
	// One vCPU, so one P. (Asynchronous preemption works: SIGURG is
	// delivered, so GODEBUG=asyncpreemptoff=1 is no longer needed.)
	// kernel:nopanic envc <= len(envp)-3: it only grows while below that
	if !hasEnv(envp[:envc], "GOMAXPROCS=") {
		// kernel:nopanic envc <= len(envp)-3: it only grows while below that
		envp[envc] = push("GOMAXPROCS=1")
		envc++
	}
	sp -= 16
	random := sp
	getrandom(random, 16, 0)

	// The vector, 16-byte aligned at argc.
	words := 1 + argc + 1 + envc + 1 + 2*3
	sp = (sp - uintptr(words)*8) &^ 15
	v := (*[len(argv) + len(envp) + 8]uintptr)(at(sp))
	i := 0
	v[i] = uintptr(argc)
	i++
	// kernel:nopanic argc < len(argv): it only grows while below len(argv)-1
	for _, a := range argv[:argc] {
		// kernel:nopanic i < 1+argc+1+envc+1+6 <= len(v)
		v[i] = a
		i++
	}
	// kernel:nopanic i < 1+argc+1+envc+1+6 <= len(v)
	v[i] = 0
	i++
	// kernel:nopanic envc <= len(envp)-2: it only grows while below that
	for _, e := range envp[:envc] {
		// kernel:nopanic i < 1+argc+1+envc+1+6 <= len(v)
		v[i] = e
		i++
	}
	// kernel:nopanic i < 1+argc+1+envc+1+6 <= len(v)
	v[i] = 0
	i++
	// kernel:nopanic i+5 < 1+argc+1+envc+1+6 <= len(v)
	v[i], v[i+1] = atPagesz, 4096
	// kernel:nopanic i+5 < 1+argc+1+envc+1+6 <= len(v)
	v[i+2], v[i+3] = atRandom, random
	// kernel:nopanic i+5 < 1+argc+1+envc+1+6 <= len(v)
	v[i+4], v[i+5] = atNull, 0

	booted = true
	klog().s("entering the Go runtime at ").hex(uint64(goEntry)).print()
	if pvMode {
		pvEnterRuntime(sp, goEntry) // guest-user mode, by HYPERVISOR_iret
	}
	enterRuntime(sp, goEntry)
}

// pushString stores s and a NUL just below sp and returns its address.
func pushString(sp uintptr, s string) uintptr {
	sp -= uintptr(len(s) + 1)
	d := bytesAt(sp, len(s)+1)
	for i := 0; i < len(s); i++ {
		// kernel:nopanic d is len(s)+1 bytes
		d[i] = s[i]
	}
	// kernel:nopanic d is len(s)+1 bytes
	d[len(s)] = 0
	return sp
}

func hasEnv(envp []uintptr, key string) bool {
	for _, e := range envp {
		b := bytesAt(e, len(key))
		if string(b) == key {
			return true
		}
	}
	return false
}

// splitCmdline splits Xen's command line into words. Before a "--",
// KEY=VALUE words are environment variables and other words arguments;
// after it every word is an argument.
func splitCmdline(c []byte, f func(w []byte, env bool)) {
	seenDashes := false
	for len(c) > 0 {
		for len(c) > 0 && (c[0] == ' ' || c[0] == '\t') {
			c = c[1:]
		}
		n := 0
		for n < len(c) && c[n] != ' ' && c[n] != '\t' {
			n++
		}
		if n == 0 {
			break
		}
		// kernel:nopanic 0 < n <= len(c): n counts bytes of c
		w := c[:n]
		// kernel:nopanic 0 < n <= len(c): n counts bytes of c
		c = c[n:]
		if !seenDashes && string(w) == "--" {
			seenDashes = true
			continue
		}
		env := false
		if !seenDashes {
			for _, b := range w {
				if b == '=' {
					env = true
					break
				}
			}
		}
		f(w, env)
	}
}
