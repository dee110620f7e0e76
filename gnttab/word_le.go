//go:build !(mips || mips64 || ppc64 || s390x)

package gnttab

// Where flags and domid sit inside the aligned 32-bit word that starts an
// entry. On a little-endian machine the first uint16 (flags) is the low
// half. Xen itself updates GTF_reading/GTF_writing with a 32-bit
// compare-and-swap on this same word, comparing domid as it goes.
const (
	flagsShift = 0
	domidShift = 16
)
