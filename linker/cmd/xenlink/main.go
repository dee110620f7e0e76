// Command xenlink adds the Xen ELF notes that make a Go-linked ELF
// bootable as a Xen PVH guest.
//
//	xenlink [-entry-symbol S] [-entry ADDR] [-pv-entry-symbol S] [-hypercall-page-symbol S] [-guest-os NAME] [-strip] [-o OUT] IN
//	xenlink -show IN
//
// Without -o the file is rewritten in place. Running it twice gives the
// same bytes as running it once. With -strip the output also loses its
// symbol table and DWARF (linker.Strip), once the entry symbol has been
// looked up; keep the input with -o to debug it. See package
// github.com/goxen/goxen/linker.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/goxen/goxen/linker"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xenlink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		sym   = fs.String("entry-symbol", linker.DefaultEntrySymbol, "`symbol` in .symtab whose address becomes XEN_ELFNOTE_PHYS32_ENTRY (SYMBOL.abi0 is tried first)")
		entry = fs.String("entry", "", "physical entry `address` (0x... or decimal); overrides -entry-symbol")
		pvSym = fs.String("pv-entry-symbol", linker.DefaultPVEntrySymbol, "`symbol` of the 64-bit PV entry (XEN_ELFNOTE_ENTRY); without it in .symtab the ELF is PVH only")
		hpSym = fs.String("hypercall-page-symbol", linker.DefaultHypercallPageSymbol, "`symbol` whose first page-aligned page becomes XEN_ELFNOTE_HYPERCALL_PAGE")
		guest = fs.String("guest-os", linker.DefaultGuestOS, "`name` written to XEN_ELFNOTE_GUEST_OS")
		out   = fs.String("o", "", "write the result to `file` instead of rewriting IN in place")
		show  = fs.Bool("show", false, "print the Xen notes of IN (as Xen's loader finds them) and change nothing")
		strip = fs.Bool("strip", false, "also drop the symbol table and DWARF, which Xen does not read (the loaded bytes stay as they are)")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: xenlink [-entry-symbol S] [-entry ADDR] [-pv-entry-symbol S] [-hypercall-page-symbol S] [-guest-os NAME] [-strip] [-o OUT] IN\n")
		fmt.Fprintf(stderr, "       xenlink -show IN\n\n")
		fmt.Fprintf(stderr, "Adds Xen ELF notes (PHYS32_ENTRY, GUEST_OS, XEN_VERSION, LOADER) to a Go-linked\n")
		fmt.Fprintf(stderr, "x86-64 ELF so that Xen boots it as a PVH guest, and, if it has a PV entry symbol,\n")
		fmt.Fprintf(stderr, "the PV notes (ENTRY, HYPERCALL_PAGE, VIRT_BASE, PADDR_OFFSET) so that it also boots\n")
		fmt.Fprintf(stderr, "as a classic PV guest. The PT_GNU_STACK program header\n")
		fmt.Fprintf(stderr, "becomes a PT_NOTE for notes appended at the end of the file, and a .note.Xen\n")
		fmt.Fprintf(stderr, "section is added. Running it again rebuilds the notes in place.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "xenlink: want exactly one input file, got %d\n", fs.NArg())
		fs.Usage()
		return 2
	}
	in := fs.Arg(0)
	data, err := os.ReadFile(in)
	if err != nil {
		fmt.Fprintf(stderr, "xenlink: %v\n", err)
		return 1
	}

	if *show {
		notes, err := linker.XenNotes(data)
		if err != nil {
			fmt.Fprintf(stderr, "xenlink: %s: %v\n", in, err)
			return 1
		}
		if len(notes) == 0 {
			fmt.Fprintf(stdout, "%s: no Xen notes\n", in)
		}
		for _, n := range notes {
			fmt.Fprintf(stdout, "%s\n", n)
		}
		return 0
	}

	opt := linker.Options{EntrySymbol: *sym, GuestOS: *guest, PVEntrySymbol: *pvSym, HypercallPageSymbol: *hpSym}
	if *entry != "" {
		v, err := strconv.ParseUint(*entry, 0, 64)
		if err != nil || v == 0 {
			fmt.Fprintf(stderr, "xenlink: -entry %q: want a non-zero address such as 0x101000\n", *entry)
			return 2
		}
		opt.Entry = v
	}
	result, res, err := linker.Report(data, opt)
	if err == nil && *strip {
		result, err = linker.Strip(result)
		res.Size = len(result)
	}
	if err != nil {
		fmt.Fprintf(stderr, "xenlink: %s: %v\n", in, err)
		return 1
	}
	dst := *out
	if dst == "" {
		dst = in
	}
	if err := writeFile(dst, result, in); err != nil {
		fmt.Fprintf(stderr, "xenlink: %v\n", err)
		return 1
	}
	src := res.Source
	if res.Kept {
		src += ", kept"
	}
	modes := strings.Join(res.Modes, "+")
	if res.PVEntry != 0 {
		modes += fmt.Sprintf(" (ENTRY=%#x, HYPERCALL_PAGE=%#x)", res.PVEntry, res.HypercallPage)
	}
	fmt.Fprintf(stdout, "xenlink: %s: PHYS32_ENTRY=%#x (%s), %d notes, boots as %s, size %d bytes\n", in, res.Entry, src, res.Notes, modes, res.Size)
	return 0
}

// writeFile replaces dst atomically (temporary file and rename), keeping
// the permission bits of the input so the result stays executable.
func writeFile(dst string, data []byte, in string) error {
	mode := os.FileMode(0o755)
	if st, err := os.Stat(in); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".xenlink-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
