// Package wbcheck holds what the tests of several packages share to keep
// GC write barriers out of code the kernel runs without a P: in its system
// call, trap and upcall handlers, and before the Go runtime exists.
//
// A write barrier needs the running thread's P, so there it can fault. The
// compiler emits one for every store of a pointer-holding value (a
// pointer, string, slice, map, chan, func or interface) into memory it
// cannot prove is on the stack, such as a field of a package variable.
package wbcheck

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// Calls are the runtime functions through which compiled code performs or
// arranges a write barrier (prefixes of their names).
var Calls = []string{
	"runtime.gcWriteBarrier",
	"runtime.wbMove",
	"runtime.wbZero",
	"runtime.typedmemmove",
	"runtime.typedmemclr",
	"runtime.typedslicecopy",
	"runtime.bulkBarrierPreWrite",
	"runtime.memclrHasPointers",
}

// IsBarrier reports whether a call to the function named fn is a write
// barrier.
func IsBarrier(fn string) bool {
	for _, c := range Calls {
		if strings.HasPrefix(fn, c) {
			return true
		}
	}
	return false
}

// PointerField returns the path (from name) of the first field of t that
// is or holds a pointer, or "" if a value of t holds none, so storing one
// anywhere needs no write barrier.
func PointerField(t reflect.Type, name string) string {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return ""
	case reflect.Array:
		if t.Len() == 0 {
			return ""
		}
		return PointerField(t.Elem(), name+"[i]")
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if p := PointerField(f.Type, name+"."+f.Name); p != "" {
				return p
			}
		}
		return ""
	}
	return name + " (" + t.String() + ")"
}

// NoBarriers compiles the package in the current directory (a test's
// package) for the kernel's target, linux/amd64, and fails t for every
// function of it whose code calls a write barrier, except those named in
// except (as the compiler names them after the package path, such as
// "(*T).M", each with the reason it may). It skips t if there is no go
// command.
func NoBarriers(t *testing.T, except map[string]string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to compile the package with: %v", err)
	}
	cmd := exec.Command(goTool, "build", "-gcflags=-S", "-o", os.DevNull, ".")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-S: %v\n%s", err, out)
	}
	fn, funcs := "", 0
	excepted := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if name, _, ok := strings.Cut(line, " STEXT"); ok && !strings.HasPrefix(line, "\t") {
			fn, funcs = name, funcs+1
			continue
		}
		_, target, ok := strings.Cut(line, "\tCALL\t")
		if !ok || !IsBarrier(target) {
			continue
		}
		if name := localName(fn); except[name] != "" {
			excepted[name] = true
			continue
		}
		t.Errorf("%s has a write barrier: %s", fn, strings.TrimSpace(line))
	}
	if funcs == 0 {
		t.Fatalf("no functions in the compiler's listing:\n%s", out)
	}
	for name := range except {
		if !excepted[name] {
			t.Errorf("%s is excepted but has no write barrier (any more?): drop it from the list", name)
		}
	}
}

// localName is a compiled function's name without its package path:
// "(*T).M" for "example.com/p.(*T).M", "f" for "example.com/p.f".
func localName(fn string) string {
	pkgEnd := len(fn)
	if i := strings.Index(fn, "("); i >= 0 {
		pkgEnd = i
	}
	return fn[strings.LastIndex(fn[:pkgEnd], ".")+1:]
}
