// Command hardening checks, from inside a guest, what the kernel promises a
// program about its memory, signals and console. The first argument picks
// the check; each prints what it saw, and the box test reads the lines.
// Built with -tags native it leaves the kernel out: a Linux program, which
// the box test runs on the host to compare (badptr).
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/goxen/goxen/console"
	"github.com/goxen/goxen/hypercall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Println("usage: hardening rodata|kernelmem|sigterm|args|stdin|badptr")
		os.Exit(64)
	}
	switch os.Args[1] {
	case "rodata":
		rodata()
	case "kernelmem":
		kernelmem()
	case "sigterm":
		fmt.Println("sending SIGTERM to myself, with no handler")
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		select {} // the default action ends the program before this matters
	case "args":
		n := 0
		for _, a := range os.Args[2:] {
			n += len(a) + 1
		}
		fmt.Printf("args: %d words, %d bytes\n", len(os.Args)-2, n)
	case "stdin":
		stdin()
	case "badptr":
		badptr()
	default:
		fmt.Println("unknown check", os.Args[1])
		os.Exit(64)
	}
	fmt.Println("done")
}

// faults runs write and reports whether it faulted. With SetPanicOnFault a
// memory fault at a non-nil address is a recoverable runtime.Error panic,
// which Go makes of the SIGSEGV the kernel delivers.
func faults(what string, write func()) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Printf("%s: fault (%v)\n", what, r)
		}
	}()
	write()
	fmt.Printf("%s: NO FAULT, the write went through\n", what)
}

func rodata() {
	debug.SetPanicOnFault(true)
	m, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		panic(err)
	}
	m[0] = 1
	if err := syscall.Mprotect(m, syscall.PROT_READ); err != nil {
		panic(err)
	}
	faults("write after mprotect(PROT_READ)", func() { m[0] = 2 })
	if m[0] != 1 {
		fmt.Println("the protected byte changed:", m[0])
	}
	r, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		panic(err)
	}
	faults("write to a PROT_READ mapping", func() { r[100] = 2 })
	s := "a string literal lives in read-only data"
	p := (*byte)(unsafe.Pointer(unsafe.StringData(s)))
	faults("write to a string literal", func() { *p = 'A' })
	fmt.Println("string still reads:", s)
}

// The kernel keeps its stacks in the top 4 GiB of the lower half, out of
// the program's reach.
const kernelLo = 1<<47 - 4<<30

func kernelmem() {
	// Goroutines on several threads, so several kernel stacks are in use.
	var n atomic.Int64
	done := make(chan bool)
	for i := 0; i < 4; i++ {
		go func() {
			runtime.LockOSThread()
			for j := 0; j < 1000; j++ {
				n.Add(1)
				runtime.Gosched()
			}
			done <- true
		}()
	}
	addr := uintptr(kernelLo)
	for _, c := range []struct {
		name string
		call func() syscall.Errno
	}{
		{"munmap", func() syscall.Errno {
			_, _, e := syscall.Syscall(syscall.SYS_MUNMAP, addr, 1<<30, 0)
			return e
		}},
		{"madvise(MADV_DONTNEED)", func() syscall.Errno {
			_, _, e := syscall.Syscall(syscall.SYS_MADVISE, addr, 1<<30, syscall.MADV_DONTNEED)
			return e
		}},
		{"mprotect", func() syscall.Errno {
			_, _, e := syscall.Syscall(syscall.SYS_MPROTECT, addr, 1<<30, syscall.PROT_READ)
			return e
		}},
		{"mmap(MAP_FIXED)", func() syscall.Errno {
			_, _, e := syscall.Syscall6(syscall.SYS_MMAP, addr, 1<<30, syscall.PROT_READ|syscall.PROT_WRITE,
				syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_FIXED, ^uintptr(0), 0)
			return e
		}},
	} {
		fmt.Printf("%s over the kernel's range: %s\n", c.name, errName(c.call()))
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	fmt.Printf("threads still ran: %d switches\n", n.Load())
}

func errName(e syscall.Errno) string {
	switch e {
	case 0:
		return "succeeded"
	case syscall.EINVAL:
		return "EINVAL"
	case syscall.ENOMEM:
		return "ENOMEM"
	}
	return fmt.Sprintf("errno %d", uintptr(e))
}

// stdin plays a hostile console backend: it moves in_cons far from
// in_prod, then reads. The read must fail (not spin), and output must
// still work.
func stdin() {
	pfn, rc := hypercall.HVMGetParam(hypercall.HVM_PARAM_CONSOLE_PFN)
	if rc != 0 || pfn == 0 {
		fmt.Println("no console ring: rc", rc)
		os.Exit(3)
	}
	addr := uintptr(pfn << 12) // identity mapped, like all RAM below 4 GiB
	page := *(**console.Interface)(unsafe.Pointer(&addr))
	prod := atomic.LoadUint32(&page.InProd)
	atomic.StoreUint32(&page.InCons, prod+0x10000)
	fmt.Println("input ring made hostile")
	var b [16]byte
	for i := 0; i < 2; i++ {
		n, err := os.Stdin.Read(b[:])
		fmt.Printf("read %d: n=%d err=%v eio=%v\n", i, n, err, errors.Is(err, syscall.EIO))
	}
	fmt.Println("output still works")
}
