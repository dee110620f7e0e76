// Command idle sleeps for 10 seconds: an idle guest must block in Xen, not
// burn its vCPU.
package main

import (
	"fmt"
	"time"

	_ "github.com/goxen/goxen/kernel"
)

func main() {
	fmt.Println("sleeping 10s")
	time.Sleep(10 * time.Second)
	fmt.Println("done")
}
