//go:build linux

package main

// The stock-Go flavour: the goxen kernel hosts the program.
import _ "github.com/goxen/goxen/kernel"
