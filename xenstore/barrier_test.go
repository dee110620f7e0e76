package xenstore

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The kernel runs Ring, Framer, the header codec, ValidateRequest and the
// error types of ring.go in its system-call handlers, where there is no P:
// a GC write barrier there can fault. The compiler emits one for every
// store of a pointer-holding value (pointer, string, slice, map, chan,
// func, interface) into memory it cannot prove is on the stack, such as a
// field of a Ring or Framer the kernel keeps in a global.

// kernelFiles are the files whose every function must be barrier-free.
var kernelFiles = []string{"interface.go", "errors.go", "header.go", "ring.go", "framer.go", "request.go"}

// kernelFuncs are functions from other files that must be too.
var kernelFuncs = []string{"LookupErrno"}

// barrierCalls are the runtime functions through which compiled code
// performs or arranges a write barrier (prefixes).
var barrierCalls = []string{
	"runtime.gcWriteBarrier", "runtime.wbMove", "runtime.wbZero", "runtime.typedmemmove",
	"runtime.typedmemclr", "runtime.typedslicecopy", "runtime.bulkBarrierPreWrite",
	"runtime.memclrHasPointers",
}

// TestNoWriteBarriers compiles the package for the kernel's target and reads
// the compiler's assembly listing.
func TestNoWriteBarriers(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	cmd := exec.Command(goTool, "build", "-gcflags=-S", "-o", os.DevNull, ".")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-S: %v\n%s", err, out)
	}
	const pkg = "github.com/goxen/goxen/xenstore."
	checked := map[string]bool{}
	var fn string
	checking := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if name, _, ok := strings.Cut(line, " STEXT"); ok && !strings.HasPrefix(line, "\t") {
			fn, checking = name, false
			continue
		}
		if strings.Contains(line, "\tTEXT\t") && fn != "" {
			// The TEXT line says where the function is defined.
			file := ""
			if i, j := strings.Index(line, "("), strings.Index(line, ")"); i >= 0 && j > i {
				file = filepath.Base(strings.Split(line[i+1:j], ":")[0])
			}
			local := strings.TrimPrefix(fn, pkg)
			for _, f := range kernelFiles {
				checking = checking || file == f
			}
			for _, f := range kernelFuncs {
				checking = checking || local == f
			}
			if checking && strings.HasPrefix(fn, pkg) {
				checked[local] = true
			}
			continue
		}
		if !checking {
			continue
		}
		if _, target, ok := strings.Cut(line, "\tCALL\t"); ok {
			for _, b := range barrierCalls {
				if strings.HasPrefix(target, b) {
					t.Errorf("%s has a write barrier: %s", fn, strings.TrimSpace(line))
				}
			}
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
		if p := pointerField(typ, typ.Name()); p != "" {
			t.Errorf("%s holds a pointer", p)
		}
	}
}

func pointerField(t reflect.Type, name string) string {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return ""
	case reflect.Array:
		return pointerField(t.Elem(), name+"[i]")
	case reflect.Struct:
		for i := range t.NumField() {
			if p := pointerField(t.Field(i).Type, name+"."+t.Field(i).Name); p != "" {
				return p
			}
		}
		return ""
	}
	return name + " (" + t.String() + ")"
}
