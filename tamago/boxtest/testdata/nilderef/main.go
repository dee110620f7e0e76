//go:build tamago

// Command nilderef dereferences a nil pointer once the TamaGo runtime
// runs. As a classic PV guest there is no IDT for the runtime to catch
// it: package pv's trap table reports it (vector, error, RIP, CR2) and
// crashes the domain.
package main

import (
	"fmt"

	_ "github.com/goxen/goxen/tamago/xenpvh"
)

type node struct{ next *node }

func main() {
	var n *node
	fmt.Println("about to dereference nil")
	fmt.Println(n.next)
}
