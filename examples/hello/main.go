// Command hello is the smallest Go program that runs as a Xen guest: an
// ordinary main package plus one import of the kernel.
package main

import (
	"fmt"

	_ "github.com/goxen/goxen/kernel"
)

func main() {
	fmt.Println("hello, world")
}
