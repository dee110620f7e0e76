//go:build linux

package main

import _ "github.com/goxen/goxen/kernel"
