// Package layouttest checks that Go structs mirror Xen's C layouts: each
// case gives a struct's size and its fields' offsets as Go computes them
// (unsafe.Sizeof, unsafe.Offsetof) beside the values read off the C
// header it names. The packages that mirror Xen's structs (hypercall,
// sharedinfo, gnttab) use it from their tests.
package layouttest

import "testing"

// Field is one field: its name in the C header, Go's offset, C's offset.
// (The two types are unnamed struct types, so the tables of cases can be
// written positionally, as the headers are read.)
type Field = struct {
	Name      string
	Got, Want uintptr
}

// Struct is one struct: the header and struct it mirrors, Go's size, C's
// size, and the fields to check.
type Struct = struct {
	Header         string
	Size, WantSize uintptr
	Fields         []Field
}

// Check reports every size and offset that differs from the header's.
func Check(t testing.TB, cases []Struct) {
	t.Helper()
	for _, c := range cases {
		if c.Size != c.WantSize {
			t.Errorf("%s: size %d, want %d", c.Header, c.Size, c.WantSize)
		}
		for _, f := range c.Fields {
			if f.Got != f.Want {
				t.Errorf("%s: %s at %d, want %d", c.Header, f.Name, f.Got, f.Want)
			}
		}
	}
}
