// Package boxtest boots the TamaGo flavour of examples/hello (built with
// TamaGo's toolchain on board package tamago/xenpvh) under real Xen, in
// QEMU, through package box. The tests carry the build tag "box" and need
// TAMAGO, the go command of a tamago-go toolchain; without it they skip
// and say why:
//
//	TAMAGO=/path/to/tamago-go/bin/go go test -tags box -count=1 -v ./tamago/boxtest/
package boxtest
