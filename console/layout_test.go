package console

import (
	"testing"
	"unsafe"
)

// Offsets and size of xen/include/public/io/console.h: struct xencons_interface
// (x86_64): char in[1024]; char out[2048]; uint32_t in_cons, in_prod,
// out_cons, out_prod; uint8_t connection; then padding to 4-byte alignment.
func TestInterfaceLayout(t *testing.T) {
	var i Interface
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"offsetof(in)", unsafe.Offsetof(i.In), 0x000},
		{"sizeof(in)", unsafe.Sizeof(i.In), 1024},
		{"offsetof(out)", unsafe.Offsetof(i.Out), 0x400},
		{"sizeof(out)", unsafe.Sizeof(i.Out), 2048},
		{"offsetof(in_cons)", unsafe.Offsetof(i.InCons), 0xC00},
		{"offsetof(in_prod)", unsafe.Offsetof(i.InProd), 0xC04},
		{"offsetof(out_cons)", unsafe.Offsetof(i.OutCons), 0xC08},
		{"offsetof(out_prod)", unsafe.Offsetof(i.OutProd), 0xC0C},
		{"sizeof(in_cons)", unsafe.Sizeof(i.InCons), 4},
		{"offsetof(connection)", unsafe.Offsetof(i.Connection), 0xC10},
		{"sizeof(connection)", unsafe.Sizeof(i.Connection), 1},
		{"sizeof(struct xencons_interface)", unsafe.Sizeof(i), 0xC14},
		{"alignof(struct xencons_interface)", unsafe.Alignof(i), 4},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
	if unsafe.Sizeof(i) > 4096 {
		t.Errorf("Interface (%d bytes) does not fit in one page", unsafe.Sizeof(i))
	}
}

// The masks (MASK_XENCONS_IDX, applied by package internal/ring) only
// work for powers of two.
func TestSizesArePowersOfTwo(t *testing.T) {
	for _, n := range []uint32{InSize, OutSize} {
		if n == 0 || n&(n-1) != 0 {
			t.Errorf("%d is not a power of two", n)
		}
	}
}

// xen/include/public/io/console.h: XENCONSOLE_CONNECTED / _DISCONNECTED.
func TestConnectionConstants(t *testing.T) {
	if XENCONSOLE_CONNECTED != 0 || XENCONSOLE_DISCONNECTED != 1 {
		t.Errorf("XENCONSOLE_CONNECTED=%d XENCONSOLE_DISCONNECTED=%d, want 0 and 1",
			XENCONSOLE_CONNECTED, XENCONSOLE_DISCONNECTED)
	}
}
