package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goxen/goxen/internal/boxcli"
	"github.com/goxen/goxen/linker"
)

func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = goxen(args, &o, &e)
	return code, o.String(), e.String()
}

func TestMainHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out, errOut := run(args...)
		if code != 0 || errOut != "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
		for _, want := range []string{"usage: goxen <command> [arguments]", "\n  build  ", "\n  run    ", "\n  xl     ", "\n  help   ",
			`import _ "github.com/goxen/goxen/kernel"`, "linked at 0x101000", "goxen build ", "goxen run ", "goxen xl NAME.elf"} {
			if !strings.Contains(out, want) {
				t.Errorf("%q: help lacks %q:\n%s", args, want, out)
			}
		}
	}
	code, _, errOut := run()
	if code != exitUsage || !strings.Contains(errOut, "usage: goxen <command>") {
		t.Errorf("no arguments: exit %d, stderr %q", code, errOut)
	}
}

// Each command's help is the same through "goxen help CMD", "goxen CMD -h"
// and "--help"; its usage line names every flag it has (except run's,
// which has the box's many), and its flags are all described.
func TestCommandHelp(t *testing.T) {
	for _, c := range commands {
		_, want, _ := run("help", c.name)
		for _, h := range []string{"-h", "-help", "--help"} {
			code, out, errOut := run(c.name, h)
			if code != 0 || out != want || errOut != "" {
				t.Errorf("goxen %s %s: exit %d, stderr %q, same as goxen help: %v", c.name, h, code, errOut, out == want)
			}
		}
		if !strings.HasPrefix(want, "usage: "+c.usage+"\n") {
			t.Errorf("%s: help starts %q", c.name, want[:min(80, len(want))])
		}
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.setup(fs)
		n := 0
		fs.VisitAll(func(f *flag.Flag) {
			n++
			if !regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(f.Name) + `[ \t\n]`).MatchString(want) {
				t.Errorf("%s help does not describe -%s", c.name, f.Name)
			}
			if c.name != "run" && !strings.Contains(c.usage, "[-"+f.Name+" ") && !strings.Contains(c.usage, "[-"+f.Name+"]") &&
				!strings.Contains(c.usage, "[-"+f.Name+"=") {
				t.Errorf("%s usage line %q lacks -%s", c.name, c.usage, f.Name)
			}
		})
		if n == 0 {
			t.Errorf("%s: no flags", c.name)
		}
	}
	_, runHelp, _ := run("help", "run")
	statuses := strings.Replace(boxcli.ExitStatuses, "  64 ", "  7   the kernel could not be built\n  64 ", 1)
	for _, want := range []string{statuses, "  6   the guest shut down asking for a reboot\n  7   the kernel could not be built\n  64  bad command line\n",
		"-mode dom0", "-dom0-script", "-repeat"} {
		if !strings.Contains(runHelp, want) {
			t.Errorf("run help lacks %q", want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	notELF := filepath.Join(dir, "k.elf")
	os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o644)
	elfFile := filepath.Join(dir, "real.elf")
	exe, _ := os.Executable() // the test binary is an ELF
	b, _ := os.ReadFile(exe)
	os.WriteFile(elfFile, b, 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bogus"}, `goxen: unknown command "bogus"; the commands are build, run, xl`},
		{[]string{"help", "bogus"}, `unknown command "bogus"`},
		{[]string{"help", "build", "run"}, "want one command name"},
		{[]string{"build", "-nosuch"}, "flag provided but not defined: -nosuch\nusage: goxen build [-o"},
		{[]string{"xl"}, "goxen xl: want one kernel.elf, got 0 arguments\nusage: goxen xl"},
		{[]string{"xl", "a.elf", "b.elf"}, "want one kernel.elf, got 2 arguments"},
		{[]string{"run", "a", "b"}, "want one kernel.elf or package, got 2 arguments"},
		{[]string{"run", "-mode", "hvm", "."}, `unknown mode "hvm"`},
		{[]string{"run", "-repeat", "2", "-mode", "dom0", "."}, "-repeat needs N >= 1, and domU mode"},
		{[]string{"run", "-input-file", "/nonexistent", "."}, "-input-file: open /nonexistent"},
		{[]string{"run", filepath.Join(dir, "missing.elf")}, "no such file or directory"},
		{[]string{"run", notELF}, "k.elf is not an ELF file"},
		{[]string{"run", "-tags", "x", elfFile}, "-o, -tags and -ldflags are for building a package"},
	} {
		code, out, errOut := run(c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("goxen %q: exit %d (want %d), stdout %q, stderr %q (want %q)", c.args, code, exitUsage, out, errOut, c.want)
		}
	}
}

// goxen build from a module outside this repository, through the
// command line, then through `go run github.com/goxen/goxen/cmd/goxen`.
func TestBuildCommand(t *testing.T) {
	dir := userModule(t)
	t.Chdir(dir)
	code, out, errOut := run("build")
	re := regexp.MustCompile(`^goxen: mymodule\.elf: \d+\.\d MiB \((\d+) bytes\), example\.com/mymodule, entry 0x[0-9a-f]+, boots as pvh\+pv, image ends at \d+\.\d MiB; symbols and DWARF in mymodule\.elf\.dbg \(\d+\.\d MiB\)\n$`)
	if code != 0 || !re.MatchString(out) {
		t.Fatalf("goxen build: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	st, err := os.Stat(filepath.Join(dir, "mymodule.elf"))
	if err != nil || re.FindStringSubmatch(out)[1] != strconv.FormatInt(st.Size(), 10) {
		t.Errorf("mymodule.elf: %v, %v; output %q", st, err, out)
	}
	// The boot image has no symbols; the .dbg beside it has them.
	for name, want := range map[string]bool{"mymodule.elf": false, "mymodule.elf.dbg": true} {
		f, err := elf.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Symbols(); (err == nil) != want {
			t.Errorf("%s: symbols: %v, want them %v", name, err, want)
		}
		f.Close()
	}
	// -strip=false: one file, with its symbols.
	code, out, errOut = run("build", "-strip=false", "-o", "whole.elf")
	if code != 0 || !strings.HasSuffix(out, " MiB\n") || strings.Contains(out, ".dbg") {
		t.Errorf("-strip=false: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "whole.elf.dbg")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("-strip=false wrote whole.elf.dbg (%v)", err)
	}

	code, _, errOut = run("build", "-ldflags", "-T 0x1000")
	if code != exitFailed || !strings.Contains(errOut, "goxen build: example.com/mymodule: the linked ELF cannot boot as a PVH guest: linker: PT_LOAD") {
		t.Errorf("-T 0x1000: exit %d, stderr %q", code, errOut)
	}

	cmd := exec.Command("go", "run", "github.com/goxen/goxen/cmd/goxen", "build", "-o", "viagorun.elf")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	b, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "goxen: viagorun.elf: ") {
		t.Fatalf("go run github.com/goxen/goxen/cmd/goxen build: %v\n%s", err, b)
	}
	// Not compared byte for byte with mymodule.elf: the kernel's sources
	// may change between the two builds in a working tree.
	v, _ := os.ReadFile(filepath.Join(dir, "viagorun.elf"))
	if notes, err := linker.XenNotes(v); err != nil || len(notes) != 8 || !slices.Equal(linker.Modes(notes), []string{"pvh", "pv"}) {
		t.Errorf("viagorun.elf: Xen notes %v, %v", notes, err)
	}
}

// userModule copies examples/mymodule into a temporary directory outside
// this repository, its replace pointing back at the repository.
func userModule(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "mymodule")
	os.Mkdir(dir, 0o755)
	for _, f := range []string{"go.mod", "go.sum", "main.go"} {
		b, err := os.ReadFile(filepath.Join(root, "examples", "mymodule", f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "go.mod" {
			if !bytes.Contains(b, []byte("=> ../..\n")) {
				t.Fatalf("examples/mymodule/go.mod has no replace => ../..:\n%s", b)
			}
			b = bytes.Replace(b, []byte("=> ../..\n"), []byte("=> "+root+"\n"), 1)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goxen run stops before the box when the package does not build.
func TestRunBuildFailure(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/plain\n\ngo 1.26.0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	t.Chdir(dir)
	code, out, errOut := run("run", "-mode", "dom0")
	if code != exitBuildFailed || out != "" || !strings.Contains(errOut, "goxen run: example.com/plain does not import github.com/goxen/goxen/kernel") ||
		strings.Contains(errOut, "box:") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
