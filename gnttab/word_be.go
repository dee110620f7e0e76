//go:build mips || mips64 || ppc64 || s390x

package gnttab

// On a big-endian machine the first uint16 of an entry (flags) is the
// high half of its first 32-bit word. See word_le.go.
const (
	flagsShift = 16
	domidShift = 0
)
