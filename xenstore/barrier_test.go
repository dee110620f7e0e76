package xenstore

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/goxen/goxen/internal/wbcheck"
)

// The kernel runs Ring, Framer, the header codec, ValidateRequest and the
// error types of ring.go in its system-call handlers, where there is no P:
// a GC write barrier there can fault (see package wbcheck). The client
// layer runs in programs, with a P, and may have barriers.

// kernelFiles are the files whose every function must be barrier-free.
var kernelFiles = []string{"interface.go", "errors.go", "header.go", "ring.go", "framer.go", "request.go"}

// kernelFuncs are functions from other files that must be too.
var kernelFuncs = []string{"LookupErrno"}

// TestNoWriteBarriers compiles the package for the kernel's target and reads
// the compiler's assembly listing.
func TestNoWriteBarriers(t *testing.T) {
	const pkg = "github.com/goxen/goxen/xenstore."
	checked := map[string]bool{}
	for _, f := range wbcheck.Listing(t) {
		if !slices.Contains(kernelFiles, f.File) && !slices.Contains(kernelFuncs, f.Local) {
			continue
		}
		if strings.HasPrefix(f.Name, pkg) {
			checked[f.Local] = true
		}
		for _, b := range f.Barriers {
			t.Errorf("%s has a write barrier: %s", f.Name, b)
		}
	}
	// Make sure the listing was understood: these must have been seen.
	for _, f := range []string{"(*Ring).Write", "(*Ring).Read", "(*Ring).WaitConnected", "(*Ring).hostile",
		"(*Ring).state", "(*Framer).Feed", "(*Framer).FeedRing", "(*Framer).checkHeader",
		"ValidateRequest", "DecodeHeader", "Header.Encode", "LookupErrno", "(*IndexError).AppendError",
		"(*LengthError).AppendError"} {
		if !checked[f] {
			t.Errorf("%s was not found in the listing", f)
		}
	}
}

// Building an error in a Ring or Framer stores the error value there: it
// must hold no pointer. Neither may the Ring's error slots or the Framer as
// a whole (the kernel keeps them in globals).
func TestKernelTypesHoldNoPointers(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[IndexError](), reflect.TypeFor[ConnectionError](), reflect.TypeFor[ServerError](),
		reflect.TypeFor[LengthError](), reflect.TypeFor[ringErrs](), reflect.TypeFor[Framer](),
		reflect.TypeFor[Header](), reflect.TypeFor[Interface](), reflect.TypeFor[RingID](),
	} {
		if p := wbcheck.PointerField(typ, typ.Name()); p != "" {
			t.Errorf("%s holds a pointer", p)
		}
	}
}
