package kernelbuild

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goxen/goxen/linker"
)

func TestCheckEnv(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want string // "" for no error
	}{
		{nil, ""},
		{[]string{"GOARCH=amd64", "GOOS=linux"}, ""},
		{[]string{"GOARCH=", "GOOS="}, ""},
		{[]string{"CGO_ENABLED=1"}, ""},
		{[]string{"GOARCH=arm64"}, "GOARCH=arm64 is set in the environment, but Xen PVH kernels are amd64"},
		{[]string{"GOARCH=arm64", "GOARCH=amd64"}, ""}, // the last one counts, as for exec
		{[]string{"GOOS=tamago"}, "GOOS=tamago is set in the environment"},
		{[]string{"GOOS=windows"}, "unset GOOS"},
	} {
		err := CheckEnv(c.env)
		var ee *EnvError
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.env, err)
		case c.want != "" && (!errors.As(err, &ee) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: error %v, want an EnvError saying %q", c.env, err, c.want)
		}
	}
}

func TestKernelEnv(t *testing.T) {
	got := KernelEnv([]string{"HOME=/h", "GOARCH=386", "CGO_ENABLED=1", "GOOS=darwin", "GOFLAGS=-mod=mod"})
	want := append([]string{"HOME=/h", "GOFLAGS=-mod=mod"}, linker.BuildEnv()...)
	if !slices.Equal(got, want) {
		t.Errorf("KernelEnv = %q, want %q", got, want)
	}
}

func TestElfName(t *testing.T) {
	for in, want := range map[string]string{
		"example.com/mymodule":          "mymodule.elf",
		"example.com/m/cmd/server":      "server.elf",
		"example.com/m/v2":              "m.elf",
		"example.com/m/v2x":             "v2x.elf",
		"command-line-arguments":        "main.elf",
		"github.com/goxen/goxen/v":      "v.elf",
		"github.com/goxen/goxen/v10/go": "go.elf",
	} {
		if got := ElfName(in); got != want {
			t.Errorf("ElfName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVersionError(t *testing.T) {
	for _, c := range []struct {
		stderr string
		want   *GoVersionError
	}{
		{"go: go.mod requires go >= 1.99 (running go 1.26.8; GOTOOLCHAIN=local)\n",
			&GoVersionError{MainModule: true, Need: "1.99", Have: "go1.26.8"}},
		{"go: module ../y requires go >= 1.27.1 (running go 1.26.8; GOTOOLCHAIN=local)",
			&GoVersionError{Module: "../y", Need: "1.27.1", Have: "go1.26.8"}},
		{"go: github.com/goxen/goxen@v0.3.0: module github.com/goxen/goxen@v0.3.0 requires go >= 1.26.0 (running go 1.25.1; GOTOOLCHAIN=local)",
			&GoVersionError{Module: "github.com/goxen/goxen", Need: "1.26.0", Have: "go1.25.1"}},
		{"go: cannot find main module", nil},
	} {
		err := versionError(c.stderr)
		if c.want == nil {
			if err != nil {
				t.Errorf("%q: %v", c.stderr, err)
			}
			continue
		}
		var ge *GoVersionError
		if !errors.As(err, &ge) || *ge != *c.want {
			t.Errorf("%q: got %#v, want %#v", c.stderr, err, c.want)
		}
	}
}

func TestCheckGoVersion(t *testing.T) {
	pkgs := func(mods ...[2]string) []*listPackage {
		var ps []*listPackage
		for _, m := range mods {
			p := &listPackage{ImportPath: m[0] + "/x"}
			p.Module = &struct {
				Path      string
				Main      bool
				GoVersion string
			}{Path: m[0], GoVersion: m[1]}
			ps = append(ps, p)
		}
		return ps
	}
	all := pkgs([2]string{"example.com/me", "1.22"}, [2]string{ModulePath, "1.26.0"})
	err := checkGoVersion("go1.25.3", all)
	var ge *GoVersionError
	if !errors.As(err, &ge) || ge.Module != ModulePath || ge.Need != "1.26.0" || ge.Have != "go1.25.3" {
		t.Fatalf("go1.25.3: %v", err)
	}
	if !strings.Contains(err.Error(), "github.com/goxen/goxen needs Go 1.26.0 or later (the go directive of its go.mod), but the go command here is go1.25.3") {
		t.Errorf("message: %v", err)
	}
	for _, have := range []string{"go1.26.0", "go1.26.8", "go1.27rc1", "devel go1.27-abcdef"} {
		if err := checkGoVersion(have, all); err != nil {
			t.Errorf("%s: %v", have, err)
		}
	}
}

// repoRoot is this repository's root, for replace directives.
func repoRoot(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// module writes a temporary module example.com/t requiring goxen
// through a replace to this checkout (unless require is false), with
// the given files, and returns its directory.
func module(t *testing.T, require bool, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	mod := "module example.com/t\n\ngo 1.26.0\n"
	if require {
		mod += "\nrequire github.com/goxen/goxen v0.0.0\n\nreplace github.com/goxen/goxen => " + repoRoot(t) + "\n"
		sum, err := os.ReadFile(filepath.Join(repoRoot(t), "examples", "mymodule", "go.sum"))
		if err != nil {
			t.Fatal(err)
		}
		files["go.sum"] = string(sum)
	}
	if _, ok := files["go.mod"]; !ok {
		files["go.mod"] = mod
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const kernelMain = `package main

import (
	"fmt"

	_ "github.com/goxen/goxen/kernel"
)

func main() { fmt.Println("hi") }
`

// testEnv is the environment of the builds: GOFLAGS=-mod=mod lets the
// go command complete go.mod (x/arch's require) as it needs.
func testEnv(extra ...string) []string {
	return append(append(os.Environ(), "GOFLAGS=-mod=mod"), extra...)
}

func build(t *testing.T, opt Options) ([]Kernel, error, string) {
	t.Helper()
	var log bytes.Buffer
	opt.Log = &log
	if opt.Env == nil {
		opt.Env = testEnv()
	}
	ks, err := Build(context.Background(), opt)
	if err != nil {
		t.Logf("error: %v", err)
	}
	return ks, err, log.String()
}

func TestBuildKernel(t *testing.T) {
	dir := module(t, true, map[string]string{
		"main.go":         kernelMain,
		"lib/lib.go":      "package lib\n",
		"cmd/two/main.go": kernelMain,
	})
	ks, err, _ := build(t, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	k := ks[0]
	if len(ks) != 1 || k.Path != filepath.Join(dir, "t.elf") || k.Package != "example.com/t" {
		t.Fatalf("kernels %+v", ks)
	}
	data, err := os.ReadFile(k.Path)
	if err != nil || len(data) != k.Size {
		t.Fatalf("%s: %d bytes, %v; Kernel says %d", k.Path, len(data), err, k.Size)
	}
	notes, err := linker.XenNotes(data)
	if err != nil || len(notes) != 8 || notes[0].Type != linker.XEN_ELFNOTE_PHYS32_ENTRY {
		t.Errorf("Xen notes %v, %v", notes, err)
	}
	// One ELF, both modes: the PV entry and hypercall page are found.
	if !slices.Equal(k.Modes, []string{"pvh", "pv"}) || k.PVEntry < linker.TextAddress || k.PVEntry >= k.LoadEnd {
		t.Errorf("modes %v, PV entry %#x", k.Modes, k.PVEntry)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if text := f.Section(".text"); text == nil || text.Addr != linker.TextAddress {
		t.Errorf(".text at %#x, want linker.TextAddress %#x", text.Addr, linker.TextAddress)
	}
	if k.Entry < linker.TextAddress || k.LoadEnd <= k.Entry || k.LoadEnd > 64<<20 {
		t.Errorf("entry %#x, load end %#x", k.Entry, k.LoadEnd)
	}
	checkDebugFile(t, k, f)

	// NoStrip: the kernel keeps its symbols, and the .dbg of the
	// stripped build, which no longer matches, is gone.
	ks, err, _ = build(t, Options{Dir: dir, NoStrip: true})
	if err != nil {
		t.Fatal(err)
	}
	if ks[0].Debug != "" || ks[0].DebugSize != 0 {
		t.Errorf("NoStrip: Kernel %+v names a .dbg", ks[0])
	}
	if _, err := os.Stat(k.Path + linker.DebugSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("NoStrip left %s%s: %v", k.Path, linker.DebugSuffix, err)
	}
	if whole, err := elf.Open(k.Path); err != nil {
		t.Error(err)
	} else {
		if _, err := whole.Symbols(); err != nil || whole.Section(".debug_info") == nil {
			t.Errorf("NoStrip: symbols %v, DWARF %v", err, whole.Section(".debug_info") != nil)
		}
		whole.Close()
	}

	// A wildcard skips package lib and builds both main packages into a directory.
	ks, err, log := build(t, Options{Dir: dir, Packages: []string{"./..."}, Output: "out/", Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range ks {
		got = append(got, strings.TrimPrefix(k.Path, dir+"/"))
	}
	if !slices.Equal(got, []string{"out/two.elf", "out/t.elf"}) && !slices.Equal(got, []string{"out/t.elf", "out/two.elf"}) {
		t.Errorf("./... built %q", got)
	}
	if !strings.Contains(log, "skipping example.com/t/lib: package lib, not main") || !strings.Contains(log, "-ldflags=-T 0x101000") {
		t.Errorf("verbose log:\n%s", log)
	}
	if _, err, _ := build(t, Options{Dir: dir, Packages: []string{"./..."}, Output: "one.elf"}); err == nil ||
		!strings.Contains(err.Error(), "-o must name a directory") {
		t.Errorf("two packages into one file: %v", err)
	}
}

// checkDebugFile checks that k's boot image, f, has neither symbols nor
// DWARF, and that k.Debug is the same kernel with both: the same PT_LOADs
// and loaded sections, and the entry symbol at Xen's PHYS32_ENTRY. It
// also checks, in those symbols, that pvh's early page tables and stack
// take no room in the file.
func checkDebugFile(t *testing.T, k Kernel, f *elf.File) {
	t.Helper()
	if k.Debug != k.Path+linker.DebugSuffix {
		t.Fatalf("Debug = %q, want %q", k.Debug, k.Path+linker.DebugSuffix)
	}
	if _, err := f.Symbols(); !errors.Is(err, elf.ErrNoSymbols) {
		t.Errorf("%s has symbols (%v)", k.Path, err)
	}
	for _, s := range f.Sections {
		if strings.HasPrefix(s.Name, ".debug_") || s.Name == ".strtab" {
			t.Errorf("%s has section %s", k.Path, s.Name)
		}
	}
	dbg, err := elf.Open(k.Debug)
	if err != nil {
		t.Fatal(err)
	}
	defer dbg.Close()
	if st, err := os.Stat(k.Debug); err != nil {
		t.Error(err)
	} else if int(st.Size()) != k.DebugSize || k.DebugSize <= k.Size {
		t.Errorf("%s: %d bytes; Kernel says %d (boot image %d)", k.Debug, st.Size(), k.DebugSize, k.Size)
	}
	if dbg.Section(".debug_info") == nil {
		t.Errorf("%s has no DWARF", k.Debug)
	}
	var loads []elf.ProgHeader
	for _, p := range dbg.Progs {
		if p.Type == elf.PT_LOAD {
			loads = append(loads, p.ProgHeader)
		}
	}
	var i int
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			if i >= len(loads) || loads[i] != p.ProgHeader {
				t.Errorf("PT_LOAD %d: %+v, in the .dbg %+v", i, p.ProgHeader, loads)
			}
			i++
		}
	}
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Type == elf.SHT_NOBITS {
			continue
		}
		a, err1 := s.Data()
		d := dbg.Section(s.Name)
		if d == nil {
			t.Errorf("%s: no section %s", k.Debug, s.Name)
			continue
		}
		b, err2 := d.Data()
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) || s.Addr != d.Addr {
			t.Errorf("section %s differs from the .dbg's (%v, %v)", s.Name, err1, err2)
		}
	}
	syms, err := dbg.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]elf.Symbol{}
	for _, s := range syms {
		found[s.Name] = s
	}
	if e, ok := found[linker.DefaultEntrySymbol+".abi0"]; !ok || e.Value != k.Entry {
		t.Errorf("%s: %s is %#x (found %v), PHYS32_ENTRY %#x", k.Debug, linker.DefaultEntrySymbol, e.Value, ok, k.Entry)
	}
	for _, n := range []string{"bootTables", "earlyStack"} {
		s, ok := found["github.com/goxen/goxen/pvh."+n]
		if !ok || int(s.Section) >= len(dbg.Sections) || dbg.Sections[s.Section].Type != elf.SHT_NOBITS {
			t.Errorf("pvh.%s (found %v) is not in a NOBITS section: it takes room in the file", n, ok)
		}
	}
}

func TestBuildRefuses(t *testing.T) {
	cgo := `package main

// int forty_two(void) { return 42; }
import "C"

func answer() int { return int(C.forty_two()) }
`
	for _, c := range []struct {
		name    string
		require bool
		files   map[string]string
		opt     Options
		check   func(error) bool
		want    string
	}{
		{name: "not main", require: true, files: map[string]string{"lib.go": "package lib\n\nimport _ \"github.com/goxen/goxen/kernel\"\n"},
			check: is[*NotMainError], want: "example.com/t is package lib, not a main package"},
		{name: "no kernel import", require: true, files: map[string]string{"main.go": "package main\n\nfunc main() {}\n"},
			check: func(err error) bool { e, ok := as[*NoKernelError](err); return ok && e.Required },
			want:  "example.com/t does not import github.com/goxen/goxen/kernel, so its ELF could not boot under Xen. Add this import to a file of the package:\n\n\timport _ \"github.com/goxen/goxen/kernel\"\n"},
		{name: "no kernel, no require", files: map[string]string{"main.go": "package main\n\nfunc main() {}\n"},
			check: func(err error) bool { e, ok := as[*NoKernelError](err); return ok && !e.Required },
			want:  "and require the module:\n\n\tgo get github.com/goxen/goxen"},
		{name: "cgo", require: true, files: map[string]string{"main.go": kernelMain, "c.go": cgo},
			check: is[*CgoError], want: `cgo in use: example.com/t (c.go) import "C"`},
		{name: "GOARCH", require: true, files: map[string]string{"main.go": kernelMain},
			opt:   Options{Env: testEnv("GOARCH=arm64")},
			check: is[*EnvError], want: "GOARCH=arm64 is set in the environment"},
		{name: "go version", files: map[string]string{"main.go": kernelMain, "go.mod": "module example.com/t\n\ngo 1.99\n"},
			opt:   Options{Env: testEnv("GOTOOLCHAIN=local")},
			check: is[*GoVersionError], want: "your module needs Go 1.99 or later (the go directive of its go.mod), but the go command here is go1."},
		{name: "load address below 1 MiB", require: true, files: map[string]string{"main.go": kernelMain},
			opt: Options{LDFlags: "-T 0x11000"},
			check: func(err error) bool {
				var re *linker.RangeError
				return is[*LinkError](err) && errors.As(err, &re) && re.Start < linker.MinPhys
			},
			want: "example.com/t: the linked ELF cannot boot as a PVH guest: linker: PT_LOAD #"},
		{name: "load address above 4 GiB", require: true, files: map[string]string{"main.go": kernelMain},
			opt:   Options{LDFlags: "-T 0x100001000"},
			check: func(err error) bool { var re *linker.RangeError; return errors.As(err, &re) },
			want:  "is not inside [0x100000, 0x100000000); link with -ldflags='-T 0x101000' or similar (your -ldflags set -T 0x100001000; without it goxen links at 0x101000)"},
		{name: "stripped", require: true, files: map[string]string{"main.go": kernelMain},
			opt:   Options{LDFlags: "-s -w"},
			check: func(err error) bool { return err != nil }, want: "-s strips the symbol table"},
		{name: "outside a module", files: map[string]string{"main.go": kernelMain, "go.mod": ""},
			check: is[*NoModuleError], want: "no go.mod in "},
		{name: "no such package", require: true, files: map[string]string{"main.go": kernelMain},
			opt:   Options{Packages: []string{"./nosuch"}},
			check: func(err error) bool { return err != nil }, want: "nosuch"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := module(t, c.require, c.files)
			if c.files["go.mod"] == "" {
				os.Remove(filepath.Join(dir, "go.mod"))
			}
			opt := c.opt
			opt.Dir = dir
			ks, err, _ := build(t, opt)
			if err == nil || !c.check(err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v (%T), want one saying %q", err, err, c.want)
			}
			if len(ks) != 0 {
				t.Errorf("built %v anyway", ks)
			}
			if m, _ := filepath.Glob(filepath.Join(dir, "*.elf*")); len(m) > 0 {
				t.Errorf("left %q behind", m)
			}
		})
	}
}

func is[E error](err error) bool { _, ok := as[E](err); return ok }

func as[E error](err error) (E, bool) {
	var e E
	ok := errors.As(err, &e)
	return e, ok
}
