package main

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goxen/goxen/internal/boxcli"
	"github.com/goxen/goxen/linker"
)

// xlOptions describe the xl.cfg goxen xl writes.
type xlOptions struct {
	KernelPath string // written as kernel = "..."; must be absolute
	Name       string // domain name; "" means from the ELF's file name
	Memory     int    // MiB; 0 means the default (defaultMemory)
	VCPUs      int
	Cmdline    string
	OnPoweroff string
	OnReboot   string
	OnCrash    string
	Extra      []string // "key = value" lines, replacing generated keys
	File       string   // the config's file name, for the comments; "" means NAME.cfg
	Type       string   // "pvh" (default) or "pv": xl.cfg's type
}

// xlActions are the values xl accepts for on_poweroff, on_reboot and on_crash.
var xlActions = []string{"destroy", "restart", "rename-restart", "preserve", "coredump-destroy", "coredump-restart", "soft-reset"}

// minMemory is the smallest default memory in MiB: a small program's
// image ends below 4 MiB and needs little more (hello runs in 4).
const minMemory = 32

// defaultMemory is the memory goxen xl gives a kernel whose image ends at
// end: minMemory, or the image plus 16 MiB for the heap if that is more
// (a TamaGo kernel has 32 MiB of .bss).
func defaultMemory(end uint64) int {
	return max(minMemory, int((end+(1<<20)-1)>>20)+16)
}

// kernelInfo is what goxen xl reads from the ELF.
type kernelInfo struct {
	Entry   uint64 // XEN_ELFNOTE_PHYS32_ENTRY
	PVEntry uint64 // XEN_ELFNOTE_ENTRY, 0 if the ELF has no PV notes
	End     uint64 // end of the highest PT_LOAD
}

// readKernel checks that data is a PVH kernel Xen can load: an x86-64
// ELF with a PHYS32_ENTRY note and its PT_LOADs in [1 MiB, 4 GiB).
func readKernel(data []byte) (kernelInfo, error) {
	var ki kernelInfo
	notes, err := linker.XenNotes(data)
	if err != nil {
		return ki, err
	}
	found := false
	for _, n := range notes {
		if n.Type == linker.XEN_ELFNOTE_PHYS32_ENTRY {
			for i := len(n.Desc) - 1; i >= 0; i-- {
				ki.Entry = ki.Entry<<8 | uint64(n.Desc[i])
			}
			found = true
		}
		if n.Type == linker.XEN_ELFNOTE_ENTRY && slices.Contains(linker.Modes(notes), linker.ModePV) {
			for i := len(n.Desc) - 1; i >= 0; i-- {
				ki.PVEntry = ki.PVEntry<<8 | uint64(n.Desc[i])
			}
		}
	}
	if !found {
		return ki, errors.New("no XEN_ELFNOTE_PHYS32_ENTRY note, so Xen cannot start it as a PVH guest: build it with goxen build (or add the notes with linker/cmd/xenlink)")
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return ki, err
	}
	for i, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		end := p.Paddr + p.Memsz
		if p.Paddr < linker.MinPhys || end > linker.MaxPhys || end < p.Paddr {
			return ki, &linker.RangeError{Index: i, Start: p.Paddr, End: end}
		}
		ki.End = max(ki.End, end)
	}
	return ki, nil
}

// domainName makes a name xl accepts from a file name: letters, digits,
// '.', '_' and '-', not all digits (xl would take it for a domain id).
func domainName(file string) string {
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	b := []byte(base)
	for i, c := range b {
		if !isNameByte(c) {
			b[i] = '-'
		}
	}
	name := string(b)
	if name == "" || isDigits(name) {
		name = "goxen-" + name
	}
	return name
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func checkName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("-name %q: want 1 to 64 characters", name)
	}
	for i := 0; i < len(name); i++ {
		if !isNameByte(name[i]) {
			return fmt.Errorf("-name %q: use letters, digits, '.', '_' and '-'", name)
		}
	}
	if isDigits(name) {
		return fmt.Errorf("-name %q: all digits, which xl takes for a domain id", name)
	}
	return nil
}

// xlQuote renders s as an xl.cfg string: double quotes, with backslash
// escapes for '\' and '"'; a newline cannot be represented.
func xlQuote(s string) (string, error) {
	if strings.ContainsAny(s, "\n\r") {
		return "", fmt.Errorf("%q contains a newline, which an xl.cfg string cannot hold", s)
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`, nil
}

// xlConfig writes the commented xl.cfg for the kernel described by ki.
func xlConfig(o xlOptions, ki kernelInfo) (string, error) {
	if !filepath.IsAbs(o.KernelPath) {
		return "", fmt.Errorf("kernel path %q is not absolute: xl would look for it relative to its own working directory", o.KernelPath)
	}
	if o.Name == "" {
		o.Name = domainName(o.KernelPath)
	}
	if err := checkName(o.Name); err != nil {
		return "", err
	}
	memNote := ""
	switch {
	case o.Memory < 0:
		return "", fmt.Errorf("-memory %d: want a positive size in MiB", o.Memory)
	case o.Memory == 0:
		o.Memory = defaultMemory(ki.End)
		memNote = "\n# (goxen xl's default: 32, or the image plus 16 MiB if that is more.)"
	case uint64(o.Memory)<<20 < ki.End:
		return "", fmt.Errorf("-memory %d: the image alone ends at %.1f MiB (Xen loads it at its physical addresses); give at least %d",
			o.Memory, float64(ki.End)/(1<<20), (ki.End+(1<<20)-1)>>20)
	}
	if o.VCPUs < 1 {
		return "", fmt.Errorf("-vcpus %d: want at least 1", o.VCPUs)
	}
	for _, a := range []struct{ flag, v string }{{"-on-poweroff", o.OnPoweroff}, {"-on-reboot", o.OnReboot}, {"-on-crash", o.OnCrash}} {
		ok := false
		for _, v := range xlActions {
			ok = ok || a.v == v
		}
		if !ok {
			return "", fmt.Errorf("%s %q: want one of %s", a.flag, a.v, strings.Join(xlActions, ", "))
		}
	}
	override := map[string]bool{}
	for _, l := range o.Extra {
		k, _, ok := strings.Cut(l, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(l, "\n\r") {
			return "", fmt.Errorf("-extra %q: want one line key = value", l)
		}
		override[k] = true
	}
	kernel, err := xlQuote(o.KernelPath)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	put := func(key, value string) {
		if !override[key] {
			fmt.Fprintf(&b, "%s = %s\n", key, value)
		}
	}
	base := filepath.Base(o.KernelPath)
	file := o.File
	if file == "" {
		file = o.Name + ".cfg"
	}
	cmds := [][2]string{
		{"xl create -c " + file, "start it, attached to its console (Ctrl-] detaches)"},
		{"xl create -n " + file, "a dry run: check this file, start nothing"},
		{"xl shutdown " + o.Name, "the program gets SIGTERM, as on Linux"},
	}
	w := 0
	for _, c := range cmds {
		w = max(w, len(c[0]))
	}
	fmt.Fprintf(&b, "# xl.cfg for the goxen kernel %s, written by goxen xl.\n#\n# On a Xen host, as root in dom0:\n", base)
	for _, c := range cmds {
		fmt.Fprintf(&b, "#   %-*s  %s\n", w, c[0], c[1])
	}
	fmt.Fprintf(&b, `# The program's exit status 0 powers the domain off; any other status, or
# a panic, crashes it.

name = "%s"

`, o.Name)
	switch o.Type {
	case "", "pvh":
		fmt.Fprintf(&b, `# A PVH guest: hardware virtualisation without emulated devices. Xen loads
# the ELF at its physical addresses and enters it at the address in its
# XEN_ELFNOTE_PHYS32_ENTRY note (%#x), in 32-bit mode.
`, ki.Entry)
		put("type", `"pvh"`)
	case "pv":
		if ki.PVEntry == 0 {
			return "", errors.New("-type pv: the ELF has no PV notes (XEN_ELFNOTE_ENTRY, LOADER \"generic\", XEN_VERSION \"xen-3.0\"): rebuild it with goxen build")
		}
		fmt.Fprintf(&b, `# A classic PV guest: no hardware containment; the kernel runs in ring 3
# and Xen checks every page-table entry it writes. Xen enters it at the
# address in its XEN_ELFNOTE_ENTRY note (%#x), in 64-bit mode, with
# start_info in %%rsi; the program runs in PV guest-user mode.
`, ki.PVEntry)
		put("type", `"pv"`)
	default:
		return "", fmt.Errorf("-type %q: want pvh or pv", o.Type)
	}
	put("kernel", kernel)
	fmt.Fprintf(&b, `
# Memory in MiB. The image ends at %.1f MiB, .bss included; the rest is
# for the Go heap and stacks, mapped as they are first touched.%s
`, float64(ki.End)/(1<<20), memNote)
	put("memory", fmt.Sprint(o.Memory))
	b.WriteString(`
# Virtual CPUs. The kernel runs the program on the first (GOMAXPROCS=1).
`)
	put("vcpus", fmt.Sprint(o.VCPUs))
	b.WriteString(`
# The command line becomes os.Args[1:]; KEY=VALUE words before a "--"
# become environment variables, e.g. "GODEBUG=gctrace=1 -- first-arg".
`)
	if o.Cmdline != "" {
		q, err := xlQuote(o.Cmdline)
		if err != nil {
			return "", fmt.Errorf("-cmdline: %v", err)
		}
		put("cmdline", q)
	} else if !override["cmdline"] {
		b.WriteString("#cmdline = \"\"\n")
	}
	b.WriteString(`
# What Xen does when the domain stops: "destroy" frees it, "restart"
# starts it again, "preserve" keeps it for xl list and xenctx (then
# xl destroy it), "coredump-destroy" saves its memory first.
`)
	put("on_poweroff", `"`+o.OnPoweroff+`"`)
	put("on_reboot", `"`+o.OnReboot+`"`)
	put("on_crash", `"`+o.OnCrash+`"`)
	if len(o.Extra) > 0 {
		b.WriteString("\n# Given with -extra.\n")
		for _, l := range o.Extra {
			k, v, _ := strings.Cut(l, "=")
			fmt.Fprintf(&b, "%s = %s\n", strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return b.String(), nil
}

func init() {
	commands = append(commands, &command{
		name:    "xl",
		summary: "write an xl.cfg that starts a kernel on a real Xen host",
		usage:   "goxen xl [-o file.cfg] [-name N] [-memory MiB] [-vcpus N] [-type pvh|pv] [-cmdline S] [-on-poweroff A] [-on-reboot A] [-on-crash A] [-kernel-path P] [-extra 'key = value'] kernel.elf",
		doc: `Writes a commented xl.cfg for kernel.elf (built by goxen build) to
standard output or to -o: a PVH domain ("type = pvh") with the ELF's
absolute path, a name, memory, vCPUs, the command line and what to do
when it stops. Start it on a Xen host with 'xl create -c file.cfg';
'xl create -n file.cfg' checks it without starting anything.

The ELF is checked first: it must carry Xen's PVH entry note and load
inside [1 MiB, 4 GiB). The default memory covers the image with room to
spare (32 MiB for a small program).
`,
		after: `
Exit status: 0 written; 1 the kernel or an option is unusable (the message
says which); 64 bad command line.
`,
		setup: func(fs *flag.FlagSet) func(context.Context, []string, io.Writer, io.Writer) int {
			var o xlOptions
			var out, kernelPath string
			var extra boxcli.ListFlag
			fs.StringVar(&out, "o", "", "write the config to `file` instead of standard output")
			fs.StringVar(&o.Name, "name", "", "domain `name` (default: the ELF's file name without .elf)")
			fs.IntVar(&o.Memory, "memory", 0, "memory in `MiB` (default: 32, or the image's size plus 16 if larger)")
			fs.IntVar(&o.VCPUs, "vcpus", 1, "virtual CPUs")
			fs.StringVar(&o.Type, "type", "pvh", "guest `type`: pvh, or pv (classic PV, from the same ELF)")
			fs.StringVar(&o.Cmdline, "cmdline", "", "the kernel's command line: os.Args[1:], with KEY=VALUE words before -- as the environment")
			fs.StringVar(&o.OnPoweroff, "on-poweroff", "destroy", "on_poweroff `action`: "+strings.Join(xlActions, ", "))
			fs.StringVar(&o.OnReboot, "on-reboot", "restart", "on_reboot `action`")
			fs.StringVar(&o.OnCrash, "on-crash", "destroy", "on_crash `action` (preserve keeps a crashed domain for xenctx)")
			fs.StringVar(&kernelPath, "kernel-path", "", "absolute `path` of the ELF on the Xen host (default: its absolute path here)")
			fs.Var(&extra, "extra", "extra xl.cfg `line` key = value, replacing a generated line with that key (repeatable)")
			return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
				if len(args) != 1 {
					return usageError(stderr, "xl", "want one kernel.elf, got %d arguments", len(args))
				}
				data, err := os.ReadFile(args[0])
				if err != nil {
					fmt.Fprintf(stderr, "goxen xl: %v\n", err)
					return exitFailed
				}
				ki, err := readKernel(data)
				if err != nil {
					fmt.Fprintf(stderr, "goxen xl: %s: %v\n", args[0], err)
					return exitFailed
				}
				o.Extra = extra
				o.File = out
				o.KernelPath = kernelPath
				if o.KernelPath == "" {
					if o.KernelPath, err = filepath.Abs(args[0]); err != nil {
						fmt.Fprintf(stderr, "goxen xl: %v\n", err)
						return exitFailed
					}
				}
				if o.Name == "" {
					o.Name = domainName(args[0])
				}
				cfg, err := xlConfig(o, ki)
				if err != nil {
					fmt.Fprintf(stderr, "goxen xl: %v\n", err)
					return exitFailed
				}
				if out == "" {
					fmt.Fprint(stdout, cfg)
					return 0
				}
				if err := os.WriteFile(out, []byte(cfg), 0o644); err != nil {
					fmt.Fprintf(stderr, "goxen xl: %v\n", err)
					return exitFailed
				}
				fmt.Fprintf(stderr, "goxen: wrote %s; start it on a Xen host with: xl create -c %s\n", out, out)
				return 0
			}
		},
	})
}
