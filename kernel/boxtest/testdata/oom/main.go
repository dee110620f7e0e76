// Command oom allocates and touches memory until the guest has none left:
// the kernel must say so and end the program, as Linux's OOM killer does.
package main

import (
	"fmt"

	_ "github.com/goxen/goxen/kernel"
)

var keep [][]byte

func main() {
	fmt.Println("allocating until out of memory")
	for {
		b := make([]byte, 256<<10)
		for i := range b {
			b[i] = byte(i)
		}
		keep = append(keep, b)
	}
}
