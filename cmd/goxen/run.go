package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goxen/goxen/internal/boxcli"
	"github.com/goxen/goxen/internal/kernelbuild"
)

// exitBuildFailed is goxen run's status when the kernel could not be
// built (the box's statuses take 0-6 and 64).
const exitBuildFailed = 7

// isELF says path is a regular file that starts like an ELF file.
func isELF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return false
	}
	var magic [4]byte
	_, err = io.ReadFull(f, magic[:])
	return err == nil && bytes.Equal(magic[:], []byte("\x7fELF"))
}

func init() {
	commands = append(commands, &command{
		name:    "run",
		summary: "boot a kernel (building it first if given a package) under Xen 4.17 in QEMU",
		usage:   "goxen run [flags] [kernel.elf | package]",
		doc: `Boots a kernel ELF under real Xen 4.17 inside QEMU (software emulation, no
KVM and no Xen host needed) and reports what became of it in one summary
line. Given a package instead (the default is ".", the package in the
current directory), it builds it first as goxen build does, into a
temporary file unless -o says where. The flags are those of cmd/xenbox,
the box's own command, plus -o, -tags and -ldflags for the build.

` + boxcli.Modes,
		after: boxcli.Output + `
Exit status:
` + strings.Replace(boxcli.ExitStatuses, "  64 ", "  7   the kernel could not be built\n  64 ", 1),
		setup: func(fs *flag.FlagSet) func(context.Context, []string, io.Writer, io.Writer) int {
			var bf buildFlags
			bf.define(fs, true)
			f := boxcli.Register(fs, "goxen")
			return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
				if f.Prepare() {
					return f.DoPrepare(ctx, stdout, stderr)
				}
				if len(args) > 1 {
					return usageError(stderr, "run", "want one kernel.elf or package, got %d arguments: %s", len(args), strings.Join(args, " "))
				}
				target := "."
				if len(args) == 1 {
					target = args[0]
				}
				cfg, err := f.Config("", stdout, stderr)
				if err != nil {
					fmt.Fprintln(stderr, err)
					return exitUsage
				}
				if isELF(target) {
					if bf.out != "" || bf.tags != "" || bf.ldflags != "" {
						return usageError(stderr, "run", "-o, -tags and -ldflags are for building a package; %s is a kernel ELF already", target)
					}
					cfg.Kernel = target
					return f.Boot(ctx, cfg, stdout, stderr)
				}
				if strings.HasSuffix(target, ".elf") {
					if _, err := os.Stat(target); err != nil {
						fmt.Fprintf(stderr, "goxen run: %v\n", err)
					} else {
						fmt.Fprintf(stderr, "goxen run: %s is not an ELF file\n", target)
					}
					return exitUsage
				}
				opt := bf.options([]string{target}, stderr)
				if bf.out == "" {
					tmp, err := os.MkdirTemp("", "goxen-run-")
					if err != nil {
						fmt.Fprintf(stderr, "goxen run: %v\n", err)
						return exitBuildFailed
					}
					defer os.RemoveAll(tmp)
					opt.Output = tmp + string(filepath.Separator)
				}
				ks, err := kernelbuild.Build(ctx, opt)
				if err != nil {
					fmt.Fprintf(stderr, "goxen run: %s\n", strings.TrimRight(err.Error(), "\n"))
					return exitBuildFailed
				}
				if len(ks) != 1 {
					return usageError(stderr, "run", "%s matches %d main packages; name one", target, len(ks))
				}
				if cfg.Progress != io.Discard && cfg.Progress != nil {
					fmt.Fprintln(stderr, describe(ks[0]))
				}
				cfg.Kernel = ks[0].Path
				return f.Boot(ctx, cfg, stdout, stderr)
			}
		},
	})
}
