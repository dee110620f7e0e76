// Command cpubound runs a goroutine that computes without ever calling
// into the runtime next to a ticker. With GOMAXPROCS=1 the ticker only
// fires if the computing goroutine is preempted (sysmon must run, and its
// SIGURG must be delivered).
package main

import (
	"fmt"
	"os"
	"time"

	_ "github.com/goxen/goxen/kernel"
)

var sink uint64

func spin() {
	x := uint64(1)
	for {
		x = x*6364136223846793005 + 1442695040888963407
		if x == 42 {
			sink = x
		}
	}
}

func main() {
	go spin()
	time.Sleep(time.Millisecond) // let spin start
	t := time.NewTicker(50 * time.Millisecond)
	start := time.Now()
	ticks := 0
	for range t.C {
		ticks++
		if ticks == 10 {
			break
		}
	}
	fmt.Printf("ticker fired %d times in %v beside a CPU-bound goroutine\n", ticks, time.Since(start).Round(time.Millisecond))
	os.Exit(0)
}
