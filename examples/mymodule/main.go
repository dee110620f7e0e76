// Command mymodule is a program in a module of its own that runs as a Xen
// PVH guest: the one import of github.com/goxen/goxen/kernel below is all
// it takes. From this directory:
//
//	goxen build                       # mymodule.elf
//	goxen run                         # boot it under Xen in QEMU (the box)
//	goxen xl mymodule.elf > mymodule.cfg && xl create -c mymodule.cfg   # on a Xen host
package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	_ "github.com/goxen/goxen/kernel"
)

func main() {
	start := time.Now()
	who := os.Getenv("GREETING")
	if who == "" {
		who = "hello"
	}
	fmt.Printf("mymodule: %s from a module of its own (%s, %s/%s)\n", who, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("mymodule: args %s\n", strings.Join(os.Args[1:], " "))

	// Some work on a goroutine: the sieve of Eratosthenes.
	primes := make(chan int)
	go func() {
		const n = 1_000_000
		composite := make([]bool, n)
		count := 0
		for i := 2; i < n; i++ {
			if !composite[i] {
				count++
				for j := i * i; j < n; j += i {
					composite[j] = true
				}
			}
		}
		primes <- count
	}()
	fmt.Printf("mymodule: %d primes below 1000000\n", <-primes)

	// Timers run on Xen's clock; while the program waits, the guest
	// blocks in Xen.
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for i := 1; i <= 3; i++ {
		<-tick.C
		fmt.Printf("mymodule: tick %d\n", i)
	}
	fmt.Printf("mymodule: done in %v\n", time.Since(start).Round(time.Millisecond))
}
