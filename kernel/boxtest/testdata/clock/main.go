// Command clock prints its own elapsed time, "clock mark <ns>", about once
// a second for 7 s, so that the host can set the guest's clock against
// its own: in dom0 mode each line reaches the host's serial port at
// once, and the host times its arrival.
package main

import (
	"fmt"
	"time"

	_ "github.com/goxen/goxen/kernel"
)

func main() {
	start := time.Now()
	for i := 0; i <= 7; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second)))
		fmt.Printf("clock mark %d\n", time.Since(start).Nanoseconds())
	}
	fmt.Println("clock done")
}
