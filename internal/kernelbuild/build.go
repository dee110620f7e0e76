// Package kernelbuild builds main packages of the current Go module into
// Xen PVH kernel ELFs: the go command with the kernel's target and link
// flags (package linker), checks before and after, and Xen's ELF notes
// added in-process. It is `goxen build` (cmd/goxen) without the command
// line.
//
// Before building it refuses, each with its own error type: GOOS or
// GOARCH set to another target (*EnvError), a directory outside a module
// (*NoModuleError), a go command older than a module needs
// (*GoVersionError), a package that is not main (*NotMainError), a main
// package that does not import the kernel (*NoKernelError), and cgo in
// the main module (*CgoError). After linking, package linker's checks of
// the ELF (load addresses PVH can reach, the entry symbol) come back as
// a *LinkError wrapping linker's own error.
//
// The kernel is written stripped (no symbol table, no DWARF: Xen reads
// neither), and the same kernel unstripped beside it, NAME.elf.dbg, for
// debuggers and symbol tools (gdb, addr2line, go tool nm, objdump); see
// Options.NoStrip.
package kernelbuild

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"go/version"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/goxen/goxen/linker"
)

// The module and package a program needs.
const (
	ModulePath    = "github.com/goxen/goxen"
	KernelPackage = ModulePath + "/kernel"
)

// Options describe a build.
type Options struct {
	// Dir is where the go command runs, in the user's module; "" is the
	// working directory. Relative paths (Output, package directories)
	// are relative to it.
	Dir string
	// Packages are the go command's package arguments (default "."):
	// import paths, directories, patterns with "...", or .go files of one
	// package. Wildcard patterns skip the packages that are not main.
	Packages []string
	// Output is the ELF to write; "" means NAME.elf in Dir, NAME being the
	// last element of the import path (as go build names programs). With
	// several packages, or when it is an existing directory or ends in a
	// slash, it is a directory that receives NAME.elf for each.
	Output string
	// NoStrip writes the kernel with its symbol table and DWARF, and no
	// Output+linker.DebugSuffix beside it. By default the kernel is
	// stripped (linker.Strip: Xen reads none of that, and it is a third
	// of a small kernel's file) and the unstripped kernel, the same
	// loaded bytes, goes to Output+linker.DebugSuffix for debuggers and
	// symbol tools.
	NoStrip bool

	Tags     string // go build -tags
	LDFlags  string // user's -ldflags, merged by MergeLDFlags
	GCFlags  string // go build -gcflags
	Trimpath bool   // go build -trimpath
	// Verbose passes -v to go build and logs goxen's own steps.
	Verbose bool
	// Log receives go build's output and, with Verbose, the steps
	// (default os.Stderr).
	Log io.Writer

	// Go is the go command (default "go" from PATH); Env the base
	// environment (default os.Environ()).
	Go  string
	Env []string
}

// Kernel is one ELF written by Build.
type Kernel struct {
	Package string // import path of the main package
	Path    string // the ELF to boot
	Size    int    // its size in bytes
	// Debug is the same kernel with its symbols and DWARF,
	// Path+linker.DebugSuffix ("" with Options.NoStrip, when Path has
	// them); DebugSize is its size.
	Debug     string
	DebugSize int
	Entry     uint64 // XEN_ELFNOTE_PHYS32_ENTRY
	LoadEnd   uint64 // end of the highest PT_LOAD: what the image occupies, .bss included
	// Modes are the boot modes its notes allow: "pvh", and "pv" when it
	// has a PV entry (linker.Modes).
	Modes []string
	// PVEntry is the XEN_ELFNOTE_ENTRY note's address, 0 if none.
	PVEntry uint64
}

// builder carries one Build's settings.
type builder struct {
	opt Options
	env []string // the kernel build's environment
	ctx context.Context
}

// Build checks and builds the packages of opt, each into a kernel ELF
// with Xen's notes. The first error stops it.
func Build(ctx context.Context, opt Options) ([]Kernel, error) {
	if opt.Go == "" {
		opt.Go = "go"
	}
	if opt.Env == nil {
		opt.Env = os.Environ()
	}
	if opt.Log == nil {
		opt.Log = os.Stderr
	}
	if len(opt.Packages) == 0 {
		opt.Packages = []string{"."}
	}
	if opt.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		opt.Dir = wd
	}
	if err := CheckEnv(opt.Env); err != nil {
		return nil, err
	}
	lf, err := MergeLDFlags(opt.LDFlags)
	if err != nil {
		return nil, err
	}
	b := &builder{opt: opt, ctx: ctx, env: KernelEnv(opt.Env)}

	goVersion, err := b.checkModule()
	if err != nil {
		return nil, err
	}
	roots, all, err := b.list()
	if err != nil {
		return nil, err
	}
	if err := checkGoVersion(goVersion, all); err != nil {
		return nil, err
	}
	mains, err := b.checkRoots(roots)
	if err != nil {
		return nil, err
	}
	if err := b.checkCgo(all, true); err != nil {
		return nil, err
	}
	outs, err := b.outputs(mains)
	if err != nil {
		return nil, err
	}
	var ks []Kernel
	for i, p := range mains {
		k, err := b.build(p, outs[i], lf, all)
		if err != nil {
			return ks, err
		}
		ks = append(ks, k)
	}
	return ks, nil
}

// CheckEnv refuses GOARCH or GOOS set in env to anything but amd64 and
// linux. (GOFLAGS and the rest pass; CGO_ENABLED is overridden.)
func CheckEnv(env []string) error {
	for _, v := range []struct{ name, want string }{{"GOARCH", linker.GOARCH}, {"GOOS", linker.GOOS}} {
		if val, ok := lookup(env, v.name); ok && val != "" && val != v.want {
			return &EnvError{Var: v.name, Value: val}
		}
	}
	return nil
}

// KernelEnv is env with the kernel's target (linker.BuildEnv) set.
func KernelEnv(env []string) []string {
	out := make([]string, 0, len(env)+3)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k != "GOOS" && k != "GOARCH" && k != "CGO_ENABLED" {
			out = append(out, kv)
		}
	}
	return append(out, linker.BuildEnv()...)
}

// lookup finds the last value of name in env, as exec does.
func lookup(env []string, name string) (string, bool) {
	val, ok := "", false
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			val, ok = v, true
		}
	}
	return val, ok
}

func (b *builder) logf(format string, args ...any) {
	if b.opt.Verbose {
		fmt.Fprintf(b.opt.Log, "goxen: "+format+"\n", args...)
	}
}

// goCmd runs the go command in Dir with env and returns its stdout; its
// stderr goes into the error, or to stderr if that is set.
func (b *builder) goCmd(env []string, stderr io.Writer, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(b.ctx, b.opt.Go, args...)
	cmd.Dir = b.opt.Dir
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if stderr != nil {
		cmd.Stderr = io.MultiWriter(&errb, stderr)
	}
	err := cmd.Run()
	if err != nil {
		if v := versionError(errb.String()); v != nil {
			return out.Bytes(), v
		}
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("the go command (%s) is not installed or not in PATH: goxen builds with it (https://go.dev/dl/)", b.opt.Go)
		}
		ge := &GoError{Args: args, Err: err}
		if stderr == nil {
			ge.Output = errb.String()
		}
		return out.Bytes(), ge
	}
	return out.Bytes(), nil
}

// checkModule asks the go command for its version and the main module,
// and refuses a directory outside a module.
func (b *builder) checkModule() (string, error) {
	out, err := b.goCmd(b.env, nil, "env", "GOVERSION", "GOMOD")
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != 2 {
		return "", fmt.Errorf("go env GOVERSION GOMOD: unexpected output %q", out)
	}
	goVersion, gomod := lines[0], lines[1]
	if gomod == "" || gomod == os.DevNull {
		return "", &NoModuleError{Dir: b.opt.Dir}
	}
	b.logf("%s, module %s", goVersion, gomod)
	return goVersion, nil
}

// versionRE matches the go command's complaint about its own version:
// "go: go.mod requires go >= 1.99 (running go 1.26.8; GOTOOLCHAIN=local)"
// for the main module, "go: module ../y requires go >= ..." (or
// "module example.com/y@v1.2.0 requires ...") for a dependency.
var versionRE = regexp.MustCompile(`(?:module (\S+?)(?:@\S+)? |(go\.mod) )?requires go >= ([0-9][^ ]*) \(running go ([^;)]+)`)

// versionError turns the go command's complaint about its version into a
// *GoVersionError, or returns nil.
func versionError(stderr string) error {
	for _, l := range strings.Split(stderr, "\n") {
		if m := versionRE.FindStringSubmatch(l); m != nil {
			return &GoVersionError{Module: m[1], MainModule: m[2] != "", Need: m[3], Have: "go" + m[4]}
		}
	}
	return nil
}

// checkGoVersion compares the go command's version with the go directive
// of every module the build uses (go list's Module.GoVersion).
func checkGoVersion(have string, pkgs []*listPackage) error {
	if !version.IsValid(have) {
		return nil // a development toolchain: nothing to compare
	}
	seen := map[string]bool{}
	for _, p := range pkgs {
		m := p.Module
		if m == nil || m.GoVersion == "" || seen[m.Path] {
			continue
		}
		seen[m.Path] = true
		if version.Compare(have, "go"+m.GoVersion) < 0 {
			return &GoVersionError{Module: m.Path, MainModule: m.Main, Need: m.GoVersion, Have: have}
		}
	}
	return nil
}

// listPackage is what Build reads of `go list -json`.
type listPackage struct {
	ImportPath     string
	Name           string
	Dir            string
	Standard       bool
	DepOnly        bool
	Match          []string
	Deps           []string
	GoFiles        []string
	CgoFiles       []string
	IgnoredGoFiles []string
	Module         *struct {
		Path      string
		Main      bool
		GoVersion string
	}
	Error      *struct{ Err string }
	DepsErrors []*struct{ Err string }
}

const listFields = "ImportPath,Name,Dir,Standard,DepOnly,Match,Deps,GoFiles,CgoFiles,IgnoredGoFiles,Module,Error,DepsErrors"

// goFlags are the build flags go list and go build share.
func (b *builder) goFlags() []string {
	var f []string
	if b.opt.Tags != "" {
		f = append(f, "-tags="+b.opt.Tags)
	}
	return f
}

// list runs go list -deps on the packages: the matched packages (roots)
// and every package of the build.
func (b *builder) list() (roots, all []*listPackage, err error) {
	args := append([]string{"list", "-e", "-deps", "-json=" + listFields}, b.goFlags()...)
	args = append(args, "--")
	args = append(args, b.opt.Packages...)
	b.logf("go %s", strings.Join(args, " "))
	out, err := b.goCmd(b.env, nil, args...)
	if err != nil {
		return nil, nil, err
	}
	all, err = decodeList(out)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range all {
		if !p.DepOnly {
			roots = append(roots, p)
		}
	}
	if len(roots) == 0 {
		return nil, nil, fmt.Errorf("no packages match %s", strings.Join(b.opt.Packages, " "))
	}
	return roots, all, nil
}

func decodeList(out []byte) ([]*listPackage, error) {
	var all []*listPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listPackage)
		if err := dec.Decode(p); err == io.EOF {
			return all, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading go list's output: %v", err)
		}
		all = append(all, p)
	}
}

// checkRoots keeps the main packages of roots and checks each imports
// the kernel. Packages only a wildcard matched are skipped if not main.
func (b *builder) checkRoots(roots []*listPackage) ([]*listPackage, error) {
	var mains []*listPackage
	for _, p := range roots {
		if p.Error != nil {
			if v := versionError(p.Error.Err); v != nil {
				return nil, v
			}
			return nil, errors.New(strings.TrimSpace(p.Error.Err))
		}
		if p.Name != "main" {
			if wildcardOnly(p.Match) {
				b.logf("skipping %s: package %s, not main", p.ImportPath, p.Name)
				continue
			}
			return nil, &NotMainError{Package: p.ImportPath, Name: p.Name}
		}
		for _, e := range p.DepsErrors {
			if v := versionError(e.Err); v != nil {
				return nil, v
			}
			return nil, errors.New(strings.TrimSpace(e.Err))
		}
		if !slices.Contains(p.Deps, KernelPackage) {
			return nil, &NoKernelError{Package: p.ImportPath, Required: b.requiresGoxen()}
		}
		mains = append(mains, p)
	}
	if len(mains) == 0 {
		return nil, fmt.Errorf("no main packages match %s", strings.Join(b.opt.Packages, " "))
	}
	return mains, nil
}

// wildcardOnly says every pattern that matched a package has a "...".
func wildcardOnly(match []string) bool {
	if len(match) == 0 {
		return false
	}
	for _, m := range match {
		if !strings.Contains(m, "...") {
			return false
		}
	}
	return true
}

// requiresGoxen says the main module requires ModulePath.
func (b *builder) requiresGoxen() bool {
	_, err := b.goCmd(b.env, nil, "list", "-m", ModulePath)
	return err == nil
}

// checkCgo looks for packages outside the standard library with files
// that import "C" and that a cgo build would compile. Before the build
// (before=true) only the main module's own packages count; after a
// failed build every package does.
func (b *builder) checkCgo(all []*listPackage, before bool) error {
	var cand []string
	for _, p := range all {
		if p.Standard || (before && (p.Module == nil || !p.Module.Main)) {
			continue
		}
		if len(p.CgoFiles) > 0 || importsC(p.Dir, p.IgnoredGoFiles) {
			cand = append(cand, p.ImportPath)
		}
	}
	if len(cand) == 0 {
		return nil
	}
	// Which of those files would a cgo build take (build constraints
	// other than cgo satisfied)? Ask go list with cgo on.
	env := append(KernelEnv(b.opt.Env), "CGO_ENABLED=1")
	args := append([]string{"list", "-e", "-json=ImportPath,CgoFiles"}, b.goFlags()...)
	args = append(append(args, "--"), cand...)
	out, err := b.goCmd(env, nil, args...)
	if err != nil {
		return nil // cannot tell; the build will speak for itself
	}
	ps, err := decodeList(out)
	if err != nil {
		return nil
	}
	var ce CgoError
	for _, p := range ps {
		if len(p.CgoFiles) > 0 {
			ce.Packages = append(ce.Packages, CgoPackage{ImportPath: p.ImportPath, Files: p.CgoFiles})
		}
	}
	if len(ce.Packages) == 0 {
		return nil
	}
	ce.InBuild = !before
	return &ce
}

// importsC says one of the files (in dir) imports "C".
func importsC(dir string, files []string) bool {
	fset := token.NewFileSet()
	for _, f := range files {
		if !strings.HasSuffix(f, ".go") {
			continue
		}
		af, err := parser.ParseFile(fset, filepath.Join(dir, f), nil, parser.ImportsOnly)
		if err != nil {
			continue
		}
		for _, im := range af.Imports {
			if v, err := strconv.Unquote(im.Path.Value); err == nil && v == "C" {
				return true
			}
		}
	}
	return false
}

// ElfName is the name Build gives the ELF of the package at importPath:
// its last element (before a /vN major version suffix) and ".elf".
func ElfName(importPath string) string {
	base := path.Base(importPath)
	if dir := path.Dir(importPath); dir != "." && len(base) > 1 && base[0] == 'v' && isDigits(base[1:]) {
		base = path.Base(dir)
	}
	if importPath == "command-line-arguments" {
		base = "main"
	}
	return base + ".elf"
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// outputs decides where each main package's ELF goes.
func (b *builder) outputs(mains []*listPackage) ([]string, error) {
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(b.opt.Dir, p)
	}
	o := b.opt.Output
	dir := ""
	switch {
	case o == "":
		dir = b.opt.Dir
	case strings.HasSuffix(o, "/") || strings.HasSuffix(o, string(filepath.Separator)):
		dir = abs(o)
	default:
		if st, err := os.Stat(abs(o)); err == nil && st.IsDir() {
			dir = abs(o)
		} else if len(mains) > 1 {
			return nil, fmt.Errorf("-o %s: with %d main packages, -o must name a directory (existing, or ending in /)", o, len(mains))
		}
	}
	var outs []string
	seen := map[string]string{}
	for _, p := range mains {
		out := abs(o)
		if dir != "" {
			out = filepath.Join(dir, ElfName(p.ImportPath))
		}
		if prev, ok := seen[out]; ok {
			return nil, fmt.Errorf("%s and %s would both be written to %s", prev, p.ImportPath, out)
		}
		seen[out] = p.ImportPath
		outs = append(outs, out)
	}
	return outs, nil
}

// build runs go build for one main package into a temporary file beside
// out, adds Xen's notes (the entry symbol is looked up in the linked
// ELF's symbol table), and writes out: stripped, with the unstripped
// kernel beside it, unless NoStrip.
func (b *builder) build(p *listPackage, out string, lf LinkFlags, all []*listPackage) (Kernel, error) {
	k := Kernel{Package: p.ImportPath, Path: out}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return k, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".goxen-*.go.elf")
	if err != nil {
		return k, err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())

	args := []string{"build", "-o", tmp.Name()}
	if b.opt.Verbose {
		args = append(args, "-v")
	}
	args = append(args, b.goFlags()...)
	if b.opt.Trimpath {
		args = append(args, "-trimpath")
	}
	if b.opt.GCFlags != "" {
		args = append(args, "-gcflags="+b.opt.GCFlags)
	}
	args = append(args, "-ldflags="+lf.Merged, "--")
	if p.ImportPath == "command-line-arguments" {
		args = append(args, b.opt.Packages...)
	} else {
		args = append(args, p.ImportPath)
	}
	b.logf("%s %s %s", strings.Join(linker.BuildEnv(), " "), b.opt.Go, strings.Join(args, " "))
	if _, err := b.goCmd(b.env, b.opt.Log, args...); err != nil {
		if ce := b.checkCgo(all, false); ce != nil {
			return k, ce
		}
		return k, err
	}
	in, err := os.ReadFile(tmp.Name())
	if err != nil {
		return k, err
	}
	full, res, err := linker.Report(in, linker.Options{})
	if err != nil {
		return k, &LinkError{Package: p.ImportPath, UserT: lf.UserT, Err: err}
	}
	k.Entry = res.Entry
	k.Modes, k.PVEntry = res.Modes, res.PVEntry
	if f, err := elf.NewFile(bytes.NewReader(full)); err == nil {
		for _, ph := range f.Progs {
			if ph.Type == elf.PT_LOAD {
				k.LoadEnd = max(k.LoadEnd, ph.Paddr+ph.Memsz)
			}
		}
	}
	b.logf("%s: %d Xen notes added, PHYS32_ENTRY %#x (%s), ENTRY %#x, HYPERCALL_PAGE %#x, modes %s", p.ImportPath, res.Notes, res.Entry, res.Source, res.PVEntry, res.HypercallPage, strings.Join(res.Modes, "+"))
	dbg := out + linker.DebugSuffix
	if b.opt.NoStrip {
		// A .dbg from an earlier build would no longer match the kernel.
		if err := os.Remove(dbg); err == nil {
			b.logf("removed %s, left by an earlier stripped build", dbg)
		} else if !errors.Is(err, os.ErrNotExist) {
			return k, err
		}
		k.Size = len(full)
		return k, writeFile(out, full)
	}
	boot, err := linker.Strip(full)
	if err != nil {
		return k, &LinkError{Package: p.ImportPath, Strip: true, Err: err}
	}
	b.logf("%s: stripped %d -> %d bytes; symbols and DWARF in %s", p.ImportPath, len(full), len(boot), dbg)
	if err := writeFile(dbg, full); err != nil {
		return k, err
	}
	k.Debug, k.DebugSize = dbg, len(full)
	k.Size = len(boot)
	return k, writeFile(out, boot)
}

// writeFile replaces path atomically.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".goxen-*.elf")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	w := bufio.NewWriter(tmp)
	if _, err := w.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
