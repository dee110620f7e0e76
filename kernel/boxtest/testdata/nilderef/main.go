// Command nilderef dereferences a nil pointer: as on Linux, the fault must
// become a Go panic with a trace, and the domain must end crashed.
package main

import (
	"fmt"

	_ "github.com/goxen/goxen/kernel"
)

type node struct{ next *node }

func main() {
	var n *node
	fmt.Println("about to dereference nil")
	fmt.Println(n.next)
}
