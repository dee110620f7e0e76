// Command busy busy-waits for 10 seconds: the reference the idle guest's
// CPU time is compared with.
package main

import (
	"fmt"
	"time"

	_ "github.com/goxen/goxen/kernel"
)

func main() {
	fmt.Println("busy-waiting 10s")
	for start := time.Now(); time.Since(start) < 10*time.Second; {
	}
	fmt.Println("done")
}
