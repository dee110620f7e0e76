package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goxen/goxen/internal/kernelbuild"
	"github.com/goxen/goxen/linker"
)

// buildFlags are the go build flags goxen build and goxen run pass on.
type buildFlags struct {
	out, tags, ldflags, gcflags string
	trimpath, verbose, strip    bool
}

// define puts the flags on fs; run has no -v (-verbose is the box's) and
// no -gcflags, -trimpath or -strip (it boots the stripped kernel).
func (b *buildFlags) define(fs *flag.FlagSet, forRun bool) {
	b.strip = true
	if forRun {
		fs.StringVar(&b.out, "o", "", "when building a package: keep the kernel ELF in `file`, its symbols in file"+linker.DebugSuffix+" (default: a temporary file, removed after the run)")
	} else {
		fs.StringVar(&b.out, "o", "", "write the kernel ELF to `file` (default NAME.elf in the current directory, NAME the last element of the import path); a directory with several packages")
		fs.BoolVar(&b.verbose, "v", false, "print the packages as they are compiled (go build -v) and goxen's steps")
		fs.StringVar(&b.gcflags, "gcflags", "", "`flags` for the compiler, passed to go build")
		fs.BoolVar(&b.trimpath, "trimpath", false, "remove file system paths from the ELF (go build -trimpath)")
		fs.BoolVar(&b.strip, "strip", true, "leave the symbols and DWARF out of the kernel ELF, in ELF"+linker.DebugSuffix+" beside it; -strip=false keeps them in the ELF and writes no "+linker.DebugSuffix)
	}
	fs.StringVar(&b.tags, "tags", "", "comma-separated build `tags`, passed to go build")
	fs.StringVar(&b.ldflags, "ldflags", "", "`flags` for the Go linker, after goxen's own '"+linker.LDFlags()+"' (-s is refused: goxen finds the entry symbol, then strips the ELF itself)")
}

// options turns the flags into kernelbuild options.
func (b *buildFlags) options(pkgs []string, log io.Writer) kernelbuild.Options {
	return kernelbuild.Options{
		Packages: pkgs, Output: b.out, Tags: b.tags, LDFlags: b.ldflags, GCFlags: b.gcflags,
		Trimpath: b.trimpath, Verbose: b.verbose, Log: log, NoStrip: !b.strip,
	}
}

// describe is the line printed for a kernel built.
func describe(k kernelbuild.Kernel) string {
	rel := func(p string) string {
		if wd, err := os.Getwd(); err == nil {
			if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
				return r
			}
		}
		return p
	}
	modes := strings.Join(k.Modes, "+")
	if modes == "" {
		modes = "none"
	}
	s := fmt.Sprintf("goxen: %s: %s (%d bytes), %s, entry %#x, boots as %s, image ends at %.1f MiB",
		rel(k.Path), mib(k.Size), k.Size, k.Package, k.Entry, modes, float64(k.LoadEnd)/(1<<20))
	if k.Debug != "" {
		s += fmt.Sprintf("; symbols and DWARF in %s (%s)", rel(k.Debug), mib(k.DebugSize))
	}
	return s
}

func mib(n int) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func init() {
	commands = append(commands, &command{
		name:    "build",
		summary: "build a main package of the current module into a PVH kernel ELF",
		usage:   "goxen build [-o kernel.elf] [-v] [-tags list] [-ldflags flags] [-gcflags flags] [-trimpath] [-strip=false] [packages]",
		doc: `Builds the main package in the current directory, or the packages named
(import paths, directories, patterns with "...", which skip non-main
packages), of the current module into Xen PVH kernel ELFs, and prints
each one's size. It runs

	GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -ldflags='` + linker.LDFlags() + ` ...'

and adds Xen's ELF notes (the PVH entry point, kernel.pvhEntry) the way
linker/cmd/xenlink does. Run it where your go.mod is; it works as well
as 'go run github.com/goxen/goxen/cmd/goxen build' in a module that
requires github.com/goxen/goxen.

The kernel ELF it writes, NAME.elf, is what Xen boots: it has no symbol
table and no DWARF, which Xen never reads (about a third of a small
kernel's file). Beside it, NAME.elf` + linker.DebugSuffix + ` is the same kernel with them, the
same loaded bytes at the same addresses, for gdb, addr2line, objdump and
'go tool nm' (as a Linux build keeps vmlinux beside the bzImage it boots). With
-strip=false NAME.elf keeps them and no ` + linker.DebugSuffix + ` is written (one left by
an earlier build is removed, as it would no longer match).

It refuses, saying what to do instead:
  - a package that is not main, or that does not import
    github.com/goxen/goxen/kernel (directly or through its imports);
  - cgo in your module (files that import "C");
  - GOARCH (or GOOS) set in the environment to another target;
  - a go command older than a module of the build needs (go.mod's go line);
  - an ELF whose load addresses PVH cannot reach ([1 MiB, 4 GiB)), e.g.
    after an -ldflags -T of your own.
`,
		after: `
Exit status: 0 built; 1 not built (the message says why); 64 bad command line.
`,
		setup: func(fs *flag.FlagSet) func(context.Context, []string, io.Writer, io.Writer) int {
			var bf buildFlags
			bf.define(fs, false)
			return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
				ks, err := kernelbuild.Build(ctx, bf.options(args, stderr))
				for _, k := range ks {
					fmt.Fprintln(stdout, describe(k))
				}
				if err != nil {
					fmt.Fprintf(stderr, "goxen build: %s\n", strings.TrimRight(err.Error(), "\n"))
					return exitFailed
				}
				return 0
			}
		},
	})
}
