//go:build !native

package main

import _ "github.com/goxen/goxen/kernel" // the guest: the kernel answers the system calls
