// Command goxen makes Xen PVH kernels of ordinary Go programs and runs
// them: a main package that imports github.com/goxen/goxen/kernel, built
// with the stock Go toolchain.
//
//	goxen build [-o kernel.elf] [-v] [-tags list] [-ldflags flags] [packages]
//	goxen run [box flags] [kernel.elf | package]
//	goxen xl [-o file.cfg] [-name N] [-memory MiB] [-cmdline S] ... kernel.elf
//	goxen help [command]
//
// Install it with
//
//	go install github.com/goxen/goxen/cmd/goxen@latest
//
// or run it from a module that requires goxen with
// `go run github.com/goxen/goxen/cmd/goxen build`. See `goxen help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/goxen/goxen/linker"
)

// Exit statuses shared by the subcommands.
const (
	exitFailed = 1  // build or xl: it did not work (the message says why)
	exitUsage  = 64 // bad command line (as xenbox)
)

// command is one subcommand.
type command struct {
	name    string
	summary string // one line for goxen help
	usage   string // "goxen build [-o kernel.elf] ..."
	doc     string // what it does, before the flags
	after   string // after the flags
	// setup defines the flags on fs and returns what runs the command
	// with the arguments left after them.
	setup func(fs *flag.FlagSet) func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands []*command // filled by init in build.go, run.go, xl.go, in this order

func lookupCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

const mainHelp = `goxen makes Xen PVH kernels of ordinary Go programs and runs them. A
program becomes a kernel with one import in its main package,

	import _ "github.com/goxen/goxen/kernel"

and is built with the stock Go toolchain (GOOS=linux GOARCH=amd64
CGO_ENABLED=0, linked at %#x, then Xen's ELF notes added).

usage: goxen <command> [arguments]

Commands:
%s
Start, in your module's directory:

	go get github.com/goxen/goxen         # require the module
	goxen build                           # NAME.elf, from the package in .
	goxen run                             # build, then boot it under Xen 4.17 in QEMU
	goxen xl NAME.elf > NAME.cfg          # then on a Xen host: xl create -c NAME.cfg

Run 'goxen help <command>' (or 'goxen <command> -h') for a command's flags.
`

func main() {
	os.Exit(goxen(os.Args[1:], os.Stdout, os.Stderr))
}

// goxen is main without the process: it returns the exit status.
func goxen(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage())
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) == 1 || args[0] != "help" {
			fmt.Fprint(stdout, mainUsage())
			return 0
		}
		if len(args) > 2 {
			fmt.Fprintln(stderr, "goxen help: want one command name, e.g. goxen help build")
			return exitUsage
		}
		c := lookupCommand(args[1])
		if c == nil {
			fmt.Fprintf(stderr, "goxen help: unknown command %q; the commands are %s\n", args[1], commandNames())
			return exitUsage
		}
		fmt.Fprint(stdout, helpText(c))
		return 0
	}
	c := lookupCommand(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "goxen: unknown command %q; the commands are %s (see goxen --help)\n", args[0], commandNames())
		return exitUsage
	}
	fs := flag.NewFlagSet("goxen "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // errors are followed by a short hint below; -h prints the help
	run := c.setup(fs)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, helpText(c))
			return 0
		}
		fmt.Fprintf(stderr, "usage: %s\nRun 'goxen help %s' for details.\n", c.usage, c.name)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, fs.Args(), stdout, stderr)
}

func commandNames() string {
	var n []string
	for _, c := range commands {
		n = append(n, c.name)
	}
	return strings.Join(n, ", ")
}

func mainUsage() string {
	var b strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-6s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(&b, "  %-6s %s\n", "help", "show a command's help: goxen help build")
	return fmt.Sprintf(mainHelp, linker.TextAddress, b.String())
}

// helpText is a command's full help: usage, description, flags.
func helpText(c *command) string {
	var b strings.Builder
	fs := flag.NewFlagSet("goxen "+c.name, flag.ContinueOnError)
	fs.SetOutput(&b)
	c.setup(fs)
	fmt.Fprintf(&b, "usage: %s\n\n%s\nFlags:\n", c.usage, c.doc)
	fs.PrintDefaults()
	b.WriteString(c.after)
	return b.String()
}

// usageError prints a bad-command-line message with the command's usage
// line and returns exitUsage.
func usageError(stderr io.Writer, c string, format string, args ...any) int {
	fmt.Fprintf(stderr, "goxen %s: %s\n", c, fmt.Sprintf(format, args...))
	if cmd := lookupCommand(c); cmd != nil {
		fmt.Fprintf(stderr, "usage: %s\nRun 'goxen help %s' for details.\n", cmd.usage, c)
	}
	return exitUsage
}
