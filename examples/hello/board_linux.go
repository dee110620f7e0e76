//go:build linux

package main

// The stock-Go flavour: the goxen kernel hosts the unmodified runtime.
import _ "github.com/goxen/goxen/kernel"
