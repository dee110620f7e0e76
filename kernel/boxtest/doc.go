// Package boxtest boots kernels built from this repository under real Xen
// (in QEMU, through package box) and checks their console and how the
// domain ended. The tests carry the build tag "box":
//
//	go test -tags box -v ./kernel/boxtest/
package boxtest
