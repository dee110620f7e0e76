package kernelbuild

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goxen/goxen/linker"
)

// LinkFlags is the outcome of MergeLDFlags.
type LinkFlags struct {
	// Merged is the -ldflags value for go build: linker.LDFlags(), then
	// the user's flags, so that a flag the user repeats wins.
	Merged string
	// UserT is the user's own -T address, if any ("" otherwise): it
	// replaces linker.TextAddress, and an ELF that then falls outside
	// the PVH range is refused by package linker.
	UserT string
}

// MergeLDFlags puts the kernel's link flags (linker.LDFlags, "-T
// 0x200000") in front of the user's -ldflags value. It refuses what
// cannot give a bootable kernel before anything is built:
//   - -s, which strips the symbol table in which the Xen notes' entry
//     point (the kernel's pvhEntry) is looked up; the build strips the
//     kernel itself once the notes are in (linker.Strip), keeping the
//     symbols in NAME.elf.dbg;
//   - a per-package form ("pattern=flags"), which would replace the
//     kernel's flags for the packages it matches;
//   - unbalanced quotes.
func MergeLDFlags(user string) (LinkFlags, error) {
	user = strings.TrimSpace(user)
	if user == "" {
		return LinkFlags{Merged: linker.LDFlags()}, nil
	}
	words, err := splitQuoted(user)
	if err != nil {
		return LinkFlags{}, fmt.Errorf("-ldflags %q: %v", user, err)
	}
	if w := words[0]; !strings.HasPrefix(w, "-") && strings.Contains(w, "=") {
		return LinkFlags{}, fmt.Errorf("-ldflags %q: the per-package form pattern=flags is not supported: it would replace the kernel's own link flags (%s); give the flags alone", user, linker.LDFlags())
	}
	var lf LinkFlags
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "-") || w == "-" || w == "--" {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(w, "-"), "=")
		switch name {
		case "s":
			on := true
			if hasVal {
				b, err := strconv.ParseBool(val)
				if err != nil {
					return LinkFlags{}, fmt.Errorf("-ldflags %q: -s=%s is not a boolean", user, val)
				}
				on = b
			}
			if on {
				return LinkFlags{}, fmt.Errorf("-ldflags %q: -s strips the symbol table, where goxen finds the PVH entry point (%s) for Xen's notes; drop -s: the kernel ELF goxen writes is stripped anyway, its symbols and DWARF kept in NAME.elf%s (-w leaves the DWARF out of that too)", user, linker.DefaultEntrySymbol, linker.DebugSuffix)
			}
		case "T":
			if !hasVal {
				if i+1 >= len(words) {
					return LinkFlags{}, fmt.Errorf("-ldflags %q: -T needs an address", user)
				}
				i++
				val = words[i]
			}
			lf.UserT = val
		}
	}
	lf.Merged = linker.LDFlags() + " " + user
	return lf, nil
}

// splitQuoted splits s into words at blanks; single or double quotes
// group a word, as the go command reads -ldflags (cmd/internal/quoted).
func splitQuoted(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote = c
			inWord = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quoted string")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
