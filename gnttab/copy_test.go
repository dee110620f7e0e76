package gnttab

import (
	"testing"
	"unsafe"
)

// grant_table.h: struct gnttab_copy_ptr {union {grant_ref_t; xen_pfn_t} u;
// domid_t domid; uint16_t offset;} is 16 bytes; struct gnttab_copy
// {source, dest; uint16_t len, flags; int16_t status;} is 40.
func TestCopyLayout(t *testing.T) {
	var a CopyArg
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(gnttab_copy_ptr)", unsafe.Sizeof(a.Source), 16},
		{"domid", unsafe.Offsetof(a.Source.Domid), 8},
		{"offset", unsafe.Offsetof(a.Source.Offset), 10},
		{"dest", unsafe.Offsetof(a.Dest), 16},
		{"len", unsafe.Offsetof(a.Len), 32},
		{"flags", unsafe.Offsetof(a.Flags), 34},
		{"status", unsafe.Offsetof(a.Status), 36},
		{"sizeof(gnttab_copy)", unsafe.Sizeof(a), 40},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
}
