package startinfo

import (
	"reflect"
	"testing"

	"github.com/goxen/goxen/internal/wbcheck"
)

// The kernel decodes the start info before the Go runtime exists, and the
// results live in package variables: a pointer anywhere in PVH, PV or
// Error would make storing them a GC write barrier (see package wbcheck).

func TestResultsHoldNoPointers(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[PVH](), reflect.TypeFor[PV](), reflect.TypeFor[Error]()} {
		if p := wbcheck.PointerField(typ, typ.Name()); p != "" {
			t.Errorf("%s holds a pointer: storing a %s needs a write barrier", p, typ.Name())
		}
	}
}

// TestNoWriteBarriers fails for every function of the package whose
// compiled code has a write barrier, but for helpers that only a program
// (with a P) has a use for.
func TestNoWriteBarriers(t *testing.T) {
	wbcheck.NoBarriers(t, map[string]string{
		"(*PVH).RAM": "returns an iterator, a closure holding p",
	})
}
