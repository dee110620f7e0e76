//go:build amd64 && !tamago

package xenpvh

// The runtime/goos variables exist only under GOOS=tamago. Host builds
// keep the values here so that tests can look at them.
var hostRamSize, hostBloc uint64

func setRamSize(n uint64)  { hostRamSize = n }
func setBloc(a uint64)     { hostBloc = a }
func ramStartAddr() uint64 { return 0x100000 }
func stackOffset() uint64  { return 1 << 20 }
func imageEnd() uint64     { return 0x400000 }
func setHooks()            {}
