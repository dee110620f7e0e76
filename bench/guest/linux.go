//go:build !goxen

package main

// The Linux flavour: a plain static binary (CGO_ENABLED=0 GOOS=linux
// GOARCH=amd64 go build ./bench/guest), /init of the Linux guest.

import (
	"os"
	"syscall"
	"unsafe"
)

// atMain is CLOCK_BOOTTIME as main.main started (package variables are
// set after every package's init).
var atMain, atMainOK = bootTime()

func bootTime() (int64, bool) {
	const clockBoottime = 7
	var ts syscall.Timespec
	_, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockBoottime, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano(), e == 0
}

// bootFigures reports Linux's boot clock at main.main: Linux starts that
// clock early in its own boot (its sched_clock, zero at Xen clock set-up),
// so this is close to, and a little less than, the PVH entry to main.main.
// Only as /init (pid 1) is it the boot's: elsewhere it says nothing.
func bootFigures() {
	if os.Getpid() != 1 || !atMainOK {
		return
	}
	emit("boot.unpause-main", float64(atMain)/1e6, "ms")
}

// finish ends the program. As /init, exiting would panic the kernel:
// power the machine off instead.
func finish(code int) {
	if os.Getpid() == 1 {
		syscall.Sync()
		syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	}
	os.Exit(code)
}
