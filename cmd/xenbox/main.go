// Command xenbox boots a PVH kernel under Xen 4.17 inside QEMU (software
// emulation, no KVM needed) and reports what became of it. See --help.
//
// `goxen run` (cmd/goxen) takes the same flags and builds the kernel
// first; both share their command line through internal/boxcli.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/goxen/goxen/internal/boxcli"
)

// exitUsage is the status for bad command lines (flag parsing errors).
const exitUsage = boxcli.ExitUsage

const usageHead = `usage: xenbox [flags] KERNEL.elf
       xenbox -prepare

Boots KERNEL.elf (an ELF with Xen's PVH entry note) under Xen 4.17 in
QEMU and reports what became of it in one summary line. (goxen run takes
the same flags and builds the kernel from a package first.)

`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(argv []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xenbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := boxcli.Register(fs, "xenbox")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHead+boxcli.Modes+"\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), boxcli.Output+"\nExit status:\n"+boxcli.ExitStatuses)
	}
	if err := fs.Parse(argv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.Prepare() {
		return f.DoPrepare(ctx, stdout, stderr)
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "xenbox: need exactly one KERNEL.elf argument (see -help)")
		return exitUsage
	}
	cfg, err := f.Config(fs.Arg(0), stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	return f.Boot(ctx, cfg, stdout, stderr)
}
