package kernelbuild

import (
	"fmt"
	"strings"

	"github.com/goxen/goxen/linker"
)

// EnvError reports GOOS or GOARCH set in the environment to a target a
// kernel cannot have.
type EnvError struct {
	Var, Value string
}

func (e *EnvError) Error() string {
	if e.Var == "GOARCH" {
		return fmt.Sprintf("GOARCH=%s is set in the environment, but Xen PVH kernels are amd64 (x86-64) only: "+
			"unset GOARCH or set GOARCH=amd64 (goxen build sets GOOS=linux GOARCH=amd64 CGO_ENABLED=0 itself)", e.Value)
	}
	return fmt.Sprintf("%s=%s is set in the environment, but goxen build makes stock-Go kernels, GOOS=linux: "+
		"unset %s (goxen build sets GOOS=linux GOARCH=amd64 CGO_ENABLED=0 itself; TamaGo kernels are built with make kernel-tamago)",
		e.Var, e.Value, e.Var)
}

// NoModuleError reports a directory outside any Go module.
type NoModuleError struct {
	Dir string
}

func (e *NoModuleError) Error() string {
	return fmt.Sprintf("no go.mod in %s or any directory above it: goxen build builds a main package of the current module; make one with\n"+
		"\tgo mod init example.com/you\n\tgo get %s", e.Dir, ModulePath)
}

// GoVersionError reports a go command older than a module needs.
type GoVersionError struct {
	Module     string // the module whose go.mod asks for Need ("" if unknown)
	MainModule bool   // it is the main module, the user's own
	Need       string // e.g. "1.26.0"
	Have       string // e.g. "go1.25.3"
}

func (e *GoVersionError) Error() string {
	m := e.Module
	switch {
	case e.MainModule:
		m = "your module"
		if e.Module != "" {
			m += " " + e.Module
		}
	case m == "":
		m = "a module of the build"
	}
	return fmt.Sprintf("%s needs Go %s or later (the go directive of its go.mod), but the go command here is %s: "+
		"install a newer Go (https://go.dev/dl/), or let the go command fetch one (GOTOOLCHAIN=auto)", m, e.Need, e.Have)
}

// NotMainError reports a package that is not a main package.
type NotMainError struct {
	Package, Name string
}

func (e *NotMainError) Error() string {
	return fmt.Sprintf("%s is package %s, not a main package: a kernel is built from a package main with a func main", e.Package, e.Name)
}

// NoKernelError reports a main package that does not import the kernel,
// directly or through its dependencies: its ELF would have no PVH entry.
type NoKernelError struct {
	Package  string
	Required bool // the main module already requires ModulePath
}

func (e *NoKernelError) Error() string {
	s := fmt.Sprintf("%s does not import %s, so its ELF could not boot under Xen. Add this import to a file of the package:\n\n"+
		"\timport _ %q\n", e.Package, KernelPackage, KernelPackage)
	if !e.Required {
		s += fmt.Sprintf("\nand require the module:\n\n\tgo get %s\n", ModulePath)
	}
	return s
}

// CgoPackage is a package with files that import "C".
type CgoPackage struct {
	ImportPath string
	Files      []string // the files that import "C", as go list names them
}

// CgoError reports cgo in the program.
type CgoError struct {
	Packages []CgoPackage
	// InBuild: the packages' files were named after a failed build (a
	// dependency without a pure-Go version), rather than before it (the
	// main module's own cgo code).
	InBuild bool
}

func (e *CgoError) Error() string {
	var ps []string
	for _, p := range e.Packages {
		ps = append(ps, fmt.Sprintf("%s (%s)", p.ImportPath, strings.Join(p.Files, ", ")))
	}
	s := "cgo in use: " + strings.Join(ps, "; ") + ` import "C". A goxen kernel has no C library and no dynamic loader: ` +
		"it is built with CGO_ENABLED=0, which leaves those files out"
	if e.InBuild {
		return s + ", and the packages do not build without them: use packages written in Go"
	}
	return s + `: write that code in Go (files only some builds need can be kept out with a build constraint, //go:build !yourtag, and goxen build -tags yourtag)`
}

// LinkError reports an ELF that package linker refuses: load addresses
// outside the range PVH can reach (*linker.RangeError), no entry symbol,
// not an x86-64 executable, ..., or (Strip set) one linker.Strip cannot
// strip. Unwrap gives linker's error.
type LinkError struct {
	Package string
	UserT   string // the user's -T, if any
	Strip   bool   // linker.Strip refused the ELF, which has Xen's notes
	Err     error
}

func (e *LinkError) Error() string {
	if e.Strip {
		return fmt.Sprintf("%s: the kernel cannot be stripped: %v; Options.NoStrip (goxen build -strip=false) keeps it whole", e.Package, e.Err)
	}
	s := fmt.Sprintf("%s: the linked ELF cannot boot as a PVH guest: %v", e.Package, e.Err)
	if e.UserT != "" {
		s += fmt.Sprintf(" (your -ldflags set -T %s; without it goxen links at %#x)", e.UserT, linker.TextAddress)
	}
	return s
}

func (e *LinkError) Unwrap() error { return e.Err }

// GoError reports a go command that failed.
type GoError struct {
	Args   []string // the go command's arguments
	Output string   // what it said (go build's output has been shown already)
	Err    error
}

func (e *GoError) Error() string {
	s := fmt.Sprintf("go %s: %v", strings.Join(e.Args, " "), e.Err)
	if out := strings.TrimSpace(e.Output); out != "" {
		s += ":\n" + out
	}
	return s
}

func (e *GoError) Unwrap() error { return e.Err }
