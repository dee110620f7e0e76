// Command busy keeps its vCPU busy for 10 seconds: the reference the idle
// guest's CPU time is compared with. It computes, and reads the clock only
// every 65536 steps: a guest that burns CPU, not one that spends it in
// system calls and (Xen emulating RDTSC on QEMU's CPU) VM exits.
package main

import (
	"fmt"
	"time"

	_ "github.com/goxen/goxen/kernel"
)

var sink uint64

func main() {
	fmt.Println("busy-waiting 10s")
	x := uint64(1)
	for start := time.Now(); time.Since(start) < 10*time.Second; {
		for i := 0; i < 1<<16; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	sink = x
	fmt.Println("done")
}
