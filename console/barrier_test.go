package console

import (
	"reflect"
	"testing"

	"github.com/goxen/goxen/internal/wbcheck"
)

// The kernel calls this package from its system-call and trap handlers,
// where there is no P and a GC write barrier can fault (see package
// wbcheck).

// TestIndexErrorHoldsNoPointers: hostile stores an IndexError into the
// Ring, so any pointer in it (a string, say) would mean a write barrier.
func TestIndexErrorHoldsNoPointers(t *testing.T) {
	if p := wbcheck.PointerField(reflect.TypeFor[IndexError](), "IndexError"); p != "" {
		t.Errorf("%s holds a pointer: storing an IndexError needs a write barrier", p)
	}
}

// TestNoWriteBarriers fails for every function of the package whose
// compiled code has a write barrier.
func TestNoWriteBarriers(t *testing.T) { wbcheck.NoBarriers(t, nil) }
