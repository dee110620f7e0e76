//go:build tamago

// Command sleep sleeps three seconds, in one piece and in many small
// ones: an idle guest must sleep in Xen, not spin on its vCPU.
package main

import (
	"fmt"
	"time"

	_ "github.com/goxen/goxen/tamago/xenpvh"
)

func main() {
	start := time.Now()
	time.Sleep(2 * time.Second)
	for i := 0; i < 50; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Printf("slept at least 3s: %v\n", time.Since(start) >= 3*time.Second)
}
