//go:build goxen

package main

// The goxen flavour: built with `goxen build -tags goxen ./bench/guest`.
// (The kernel flavour is GOOS=linux too, so a tag of its own tells the
// two builds apart.)

import (
	"os"

	"github.com/goxen/goxen/kernel"
)

var atMain, atMainOK = kernel.BootClock()

// bootFigures reports the boot on Xen's clock, read by the kernel's
// BootClock as main.main started (the package variable above is set
// before main runs, after every package's init).
func bootFigures() {
	t, ok := atMain, atMainOK
	if !ok {
		return
	}
	ms := func(ns int64) float64 { return float64(ns) / 1e6 }
	// The kernel's boot timeline: its entry, the first console byte and
	// the jump into the Go runtime.
	for _, m := range []struct {
		name string
		at   int64
	}{{"boot.unpause-entry", t.Entry}, {"boot.unpause-first-byte", t.FirstByte}, {"boot.unpause-go", t.GoEntered}} {
		if m.at > 0 {
			emit(m.name, ms(m.at-t.Unpaused), "ms")
		}
	}
	emit("boot.unpause-main", ms(t.Now-t.Unpaused), "ms")
	if t.KernelInit > 0 {
		emit("boot.unpause-runtime", ms(t.KernelInit-t.Unpaused), "ms")
	}
	emit("boot.cpu-main", ms(t.Running), "ms")
	emit("boot.blocked-main", ms(t.Blocked), "ms")
}

// finish ends the program: exit 0 powers the domain off.
func finish(code int) { os.Exit(code) }
