package startinfo

import "strconv"

// Kind says which check failed.
type Kind uint8

const (
	_              Kind = iota // zero: no error
	KindBadMagic               // magic number or magic string is wrong
	KindOutOfRange             // an address range lies outside memory
	KindCount                  // an entry count is absurdly large
	KindCmdline                // a command line has no NUL within MaxCmdline
)

// String names the kind, for logs and test output.
func (k Kind) String() string {
	switch k {
	case KindBadMagic:
		return "bad magic"
	case KindOutOfRange:
		return "out of range"
	case KindCount:
		return "bad count"
	case KindCmdline:
		return "bad cmdline"
	}
	return "no error"
}

// Part names the structure, field or entry an Error is about.
type Part uint8

const (
	PartNone          Part = iota // zero: a sentinel, about no part in particular
	PartStartInfo                 // the start info structure itself
	PartMagic                     // hvm_start_info.magic
	PartCmdline                   // the command line
	PartModules                   // the module count, nr_modules
	PartModuleList                // the module list
	PartModule                    // module number Index
	PartModuleCmdline             // the command line of module number Index
	PartMemmap                    // the memory map: its entry count or its place
	PartMemmapEntry               // memory map entry number Index
	PartPVMagic                   // start_info_t.magic: not "xen-3.0-..."
	PartPVPlatform                // start_info_t.magic: another platform than x86_64
)

// String names the part as error messages do. A '#' in it stands for the
// Error's Index.
func (w Part) String() string {
	switch w {
	case PartNone:
		return ""
	case PartStartInfo:
		return "start info"
	case PartMagic:
		return "magic"
	case PartCmdline:
		return "cmdline"
	case PartModules:
		return "module"
	case PartModuleList:
		return "module list"
	case PartModule:
		return "module #"
	case PartModuleCmdline:
		return "module # cmdline"
	case PartMemmap:
		return "memmap"
	case PartMemmapEntry:
		return "memmap entry #"
	case PartPVMagic:
		return "pv magic"
	case PartPVPlatform:
		return "pv platform"
	}
	return "unknown part"
}

// Error is the one error type of this package. Decode fills the Err field
// of its receiver and returns a pointer to it, so failing allocates nothing.
//
// Error holds numbers only, no pointers (not even strings): the kernel
// decodes into a package variable before the Go runtime exists, where
// storing a pointer would be a GC write barrier. The message is built from
// the numbers when it is printed.
type Error struct {
	Kind Kind
	// What names the structure that failed (PartMemmap, PartModuleCmdline).
	What Part
	// Index is the entry number for per-entry failures, -1 otherwise.
	Index int
	// Value is the offending value: the magic, the address, the count.
	Value uint64
	// Limit is what Value was checked against: the wanted magic, the range
	// size, the maximum count, the command line bound.
	Limit uint64
	// Raw holds the offending bytes of a PV magic string (NUL-padded); then
	// Value is its length and Limit the length of PVMagic.
	Raw [pvMagicSize]byte

	hasRaw bool // Raw is meaningful (a PV magic failure)
}

// Sentinels for errors.Is. They match any *Error of the same Kind.
var (
	ErrBadMagic   = &Error{Kind: KindBadMagic, Index: -1}
	ErrOutOfRange = &Error{Kind: KindOutOfRange, Index: -1}
	ErrCount      = &Error{Kind: KindCount, Index: -1}
	ErrCmdline    = &Error{Kind: KindCmdline, Index: -1}
)

// Is reports whether target is an *Error of the same Kind, which makes
// errors.Is(err, ErrOutOfRange) work.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind
}

// Error returns the message Append builds.
func (e *Error) Error() string {
	var buf [160]byte
	return string(e.Append(buf[:0]))
}

// Append appends the error message to buf. It does not allocate when buf
// has room, so the kernel can print a decode failure before the Go runtime
// exists.
func (e *Error) Append(buf []byte) []byte {
	buf = append(buf, "startinfo: "...)
	if e.What == PartNone { // a sentinel
		return append(buf, e.Kind.String()...)
	}
	switch e.Kind {
	case KindBadMagic:
		buf = append(buf, "bad "...)
		buf = e.appendWhat(buf)
		if e.hasRaw {
			buf = append(buf, ' ')
			buf = appendQuoted(buf, cstring(e.Raw[:]))
			buf = append(buf, " (want \""+PVMagic+"\")"...)
			return buf
		}
		buf = append(buf, ' ')
		buf = appendHex(buf, e.Value)
		buf = append(buf, " (want "...)
		buf = appendHex(buf, e.Limit)
		return append(buf, ')')
	case KindOutOfRange:
		buf = e.appendWhat(buf)
		buf = append(buf, " at "...)
		buf = appendHex(buf, e.Value)
		buf = append(buf, " (+"...)
		buf = appendHex(buf, e.Limit)
		return append(buf, ") lies outside memory"...)
	case KindCount:
		buf = e.appendWhat(buf)
		buf = append(buf, " count "...)
		buf = appendHex(buf, e.Value)
		buf = append(buf, " exceeds limit "...)
		return appendHex(buf, e.Limit)
	case KindCmdline:
		buf = e.appendWhat(buf)
		buf = append(buf, " at "...)
		buf = appendHex(buf, e.Value)
		buf = append(buf, " has no NUL within "...)
		buf = appendHex(buf, e.Limit)
		return append(buf, " bytes"...)
	}
	buf = e.appendWhat(buf)
	return append(buf, ": unknown error kind"...)
}

// appendWhat writes the name of What with its '#' replaced by Index.
func (e *Error) appendWhat(buf []byte) []byte {
	what := e.What.String()
	for i := 0; i < len(what); i++ {
		if what[i] == '#' {
			buf = strconv.AppendInt(buf, int64(e.Index), 10)
			continue
		}
		buf = append(buf, what[i])
	}
	return buf
}

// fail records an error in e and returns it.
func fail(e *Error, k Kind, what Part, index int, value, limit uint64) error {
	*e = Error{Kind: k, What: what, Index: index, Value: value, Limit: limit}
	return e
}
