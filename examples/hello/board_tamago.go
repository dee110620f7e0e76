//go:build tamago

package main

// The TamaGo flavour: the Xen PVH board instead of the goxen kernel.
import _ "github.com/goxen/goxen/tamago/xenpvh"
