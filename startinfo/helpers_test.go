package startinfo

import (
	"encoding/binary"
	"testing"
)

// A test image is one Bytes region laid out like this (offsets from base):
//
//	0x0000 hvm_start_info / start_info_t
//	0x0800 PVH command line
//	0x1000 module list
//	0x1400 memory map
//	0x1800 module command lines
//	0x2000 module data (0x1000 bytes per module)
const (
	base       = 0x100000
	imageSize  = 0x8000
	offCmdline = 0x0800
	offModlist = 0x1000
	offMemmap  = 0x1400
	offModCmd  = 0x1800
	offModData = 0x2000
)

type image struct{ b Bytes }

func newImage() *image {
	return &image{b: Bytes{Base: base, Data: make([]byte, imageSize)}}
}

func (im *image) mem() *Bytes { return &im.b }

func (im *image) put32(paddr uint64, v uint32) {
	binary.LittleEndian.PutUint32(im.b.Data[paddr-base:], v)
}

func (im *image) put64(paddr uint64, v uint64) {
	binary.LittleEndian.PutUint64(im.b.Data[paddr-base:], v)
}

func (im *image) putString(paddr uint64, s string) {
	copy(im.b.Data[paddr-base:], s)
	im.b.Data[paddr-base+uint64(len(s))] = 0
}

// pvhV1 builds a valid version 1 start info with a command line, two
// modules (the second with a command line) and a four-entry memory map.
func pvhV1() *image {
	im := newImage()
	im.put32(base+0, XEN_HVM_START_MAGIC_VALUE)
	im.put32(base+4, 1)
	im.put32(base+8, SIF_PRIVILEGED|SIF_INITDOMAIN)
	im.put32(base+12, 2)
	im.put64(base+16, base+offModlist)
	im.put64(base+24, base+offCmdline)
	im.put64(base+32, 0xfc000)
	im.put64(base+40, base+offMemmap)
	im.put32(base+48, 4)
	im.putString(base+offCmdline, `console=hvc0 root="/dev/xvda"`)

	im.putModule(0, base+offModData, 0x1000, 0)
	im.putModule(1, base+offModData+0x1000, 0x800, base+offModCmd)
	im.putString(base+offModCmd, "initrd")

	im.putMemmap(0, 0, 0x9fc00, XEN_HVM_MEMMAP_TYPE_RAM)
	im.putMemmap(1, 0xf0000, 0x10000, XEN_HVM_MEMMAP_TYPE_RESERVED)
	im.putMemmap(2, 0x100000, 0x3ff00000, XEN_HVM_MEMMAP_TYPE_RAM)
	im.putMemmap(3, 0xfc000000, 0x1000, XEN_HVM_MEMMAP_TYPE_ACPI)
	return im
}

// pvhV0 builds a valid version 0 start info: no memory map, and bytes
// 40..55 hold garbage that a version 0 reader must ignore.
func pvhV0() *image {
	im := newImage()
	im.put32(base+0, XEN_HVM_START_MAGIC_VALUE)
	im.put32(base+4, 0)
	im.put32(base+8, 0)
	im.put64(base+24, base+offCmdline)
	im.put64(base+40, 0xdeadbeefdeadbeef)
	im.put32(base+48, 0xffffffff)
	im.putString(base+offCmdline, "quiet")
	return im
}

func (im *image) putModule(i int, paddr, size, cmdline uint64) {
	e := base + offModlist + uint64(i)*32
	im.put64(e, paddr)
	im.put64(e+8, size)
	im.put64(e+16, cmdline)
}

func (im *image) putMemmap(i int, addr, size uint64, typ uint32) {
	e := base + offMemmap + uint64(i)*24
	im.put64(e, addr)
	im.put64(e+8, size)
	im.put32(e+16, typ)
}

// pvImage builds a valid x86_64 start_info_t at base.
func pvImage() *image {
	im := newImage()
	im.putString(base, PVMagic)
	im.put64(base+32, 0x40000) // 1 GiB of pages
	im.put64(base+40, 0x7f001000)
	im.put32(base+48, SIF_MOD_START_PFN)
	im.put64(base+56, 0x12345)
	im.put32(base+64, 1)
	im.put64(base+72, 0x12346)
	im.put32(base+80, 2)
	im.put64(base+88, 0xffffffff80400000)
	im.put64(base+96, 6)
	im.put64(base+104, 0xffffffff80200000)
	im.put64(base+112, 0x300)
	im.put64(base+120, 0x5000)
	im.putString(base+128, "console=hvc0")
	im.put64(base+1152, 0x400)
	im.put64(base+1160, 3)
	return im
}

// mustAsError checks that err is an *Error (the only error type Decode may
// return) and returns it.
func mustAsError(t testing.TB, err error) *Error {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %v is %T, want *Error", err, err)
	}
	return e
}

// byteAtATime is a Memory that only ever admits ranges of at most one byte,
// like an identity map whose owner is very cautious. It exercises the
// command line's slow path.
type byteAtATime struct{ b *Bytes }

func (m byteAtATime) Contains(paddr, n uint64) bool { return n <= 1 && m.b.Contains(paddr, n) }
func (m byteAtATime) ReadAt(p []byte, paddr uint64) { m.b.ReadAt(p, paddr) }
