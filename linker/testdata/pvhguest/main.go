// Command pvhguest is the tiny program the linker tests build and patch.
// It must still run on Linux after the notes are added.
package main

import (
	"fmt"
	"os"

	"example.com/pvhguest/kernel"
)

func main() {
	if len(os.Args) > 99 {
		kernel.Entry() // never taken; keeps the references live
		kernel.PVEntry()
		kernel.HypercallPage[0]++
	}
	fmt.Println("hello from pvhguest")
}
