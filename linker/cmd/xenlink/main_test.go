package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/goxen/goxen/linker"
)

const guestSymbol = "example.com/pvhguest/kernel.pvhEntry"

// guest builds ../../testdata/pvhguest into dir and returns its path.
func guest(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "guest.elf")
	cmd := exec.Command("go", "build", "-ldflags="+linker.LDFlags(), "-o", p, ".")
	cmd.Dir = filepath.Join("..", "..", "testdata", "pvhguest")
	cmd.Env = append(append(os.Environ(), linker.BuildEnv()...), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return p
}

func xenlink(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestHelp(t *testing.T) {
	for _, h := range []string{"-h", "--help"} {
		code, _, errOut := xenlink(h)
		if code != 0 {
			t.Errorf("%s: exit %d", h, code)
		}
		for _, flag := range []string{"-entry-symbol", "-entry ", "-guest-os", "-o ", "-show", "-strip", "usage: xenlink"} {
			if !strings.Contains(errOut, flag) {
				t.Errorf("%s output lacks %q:\n%s", h, flag, errOut)
			}
		}
	}
}

func TestInPlaceTwice(t *testing.T) {
	p := guest(t)
	summary := regexp.MustCompile(`^xenlink: .*guest\.elf: PHYS32_ENTRY=0x[0-9a-f]+ \(symbol ` +
		regexp.QuoteMeta(guestSymbol) + `\.abi0\), 4 notes, boots as pvh, size \d+ bytes\n$`)
	code, out, errOut := xenlink("-entry-symbol", guestSymbol, p)
	if code != 0 || !summary.MatchString(out) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	first, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if st.Mode().Perm()&0o100 == 0 {
		t.Errorf("mode %v: lost the executable bit", st.Mode())
	}
	code, out2, _ := xenlink("-entry-symbol", guestSymbol, p)
	second, _ := os.ReadFile(p)
	if code != 0 || out2 != out || !bytes.Equal(first, second) {
		t.Errorf("second run: exit %d, %q vs %q, identical %v", code, out2, out, bytes.Equal(first, second))
	}
	notes, err := linker.XenNotes(second)
	if err != nil || len(notes) != 4 {
		t.Fatalf("XenNotes: %v, %v", notes, err)
	}

	code, show, _ := xenlink("-show", p)
	want := "Xen XEN_ELFNOTE_PHYS32_ENTRY 0x"
	if code != 0 || !strings.HasPrefix(show, want) || strings.Count(show, "\n") != 4 ||
		!strings.Contains(show, `Xen XEN_ELFNOTE_GUEST_OS "goxen"`) {
		t.Errorf("-show: exit %d:\n%s", code, show)
	}
}

func TestOutputFlag(t *testing.T) {
	p := guest(t)
	orig, _ := os.ReadFile(p)
	o := filepath.Join(t.TempDir(), "out.elf")
	code, out, errOut := xenlink("-entry-symbol", guestSymbol, "-guest-os", "mykernel", "-o", o, p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if now, _ := os.ReadFile(p); !bytes.Equal(now, orig) {
		t.Error("-o modified the input")
	}
	_, show, _ := xenlink("-show", o)
	if !strings.Contains(show, `"mykernel"`) {
		t.Errorf("-show of output:\n%s", show)
	}
	_, show, _ = xenlink("-show", p)
	if !strings.Contains(show, "no Xen notes") {
		t.Errorf("-show of input: %q", show)
	}
	t.Log(out)
}

// -strip: the notes as without it, no symbols, and a second run (with
// the entry given, as the symbol is gone) changes nothing.
func TestStripFlag(t *testing.T) {
	p := guest(t)
	whole := filepath.Join(t.TempDir(), "whole.elf")
	if code, _, errOut := xenlink("-entry-symbol", guestSymbol, "-o", whole, p); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	code, out, errOut := xenlink("-entry-symbol", guestSymbol, "-strip", p)
	m := regexp.MustCompile(`PHYS32_ENTRY=(0x[0-9a-f]+) .*, 4 notes, boots as pvh, size (\d+) bytes\n$`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	stripped, _ := os.ReadFile(p)
	w, _ := os.ReadFile(whole)
	if m[2] != strconv.Itoa(len(stripped)) || len(stripped) >= len(w) {
		t.Errorf("stripped to %d bytes (summary %s), from %d", len(stripped), m[2], len(w))
	}
	if want, _ := linker.Strip(w); !bytes.Equal(stripped, want) {
		t.Error("-strip differs from linker.Strip of the unstripped output")
	}
	if code, _, errOut := xenlink("-entry", m[1], "-strip", p); code != 0 {
		t.Errorf("second run: exit %d: %s", code, errOut)
	}
	if again, _ := os.ReadFile(p); !bytes.Equal(again, stripped) {
		t.Error("second run changed the stripped file")
	}
}

func TestEntryFlag(t *testing.T) {
	p := guest(t)
	code, out, errOut := xenlink("-entry", "0x101000", p)
	if code != 0 || !strings.Contains(out, "PHYS32_ENTRY=0x101000 (-entry), 4 notes") {
		t.Errorf("exit %d, %q %q", code, out, errOut)
	}
}

func TestFailures(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "script.sh")
	os.WriteFile(txt, []byte("#!/bin/sh\necho hi\n"), 0o755)
	g := guest(t)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "want exactly one input file, got 0"},
		{[]string{"a", "b"}, 2, "want exactly one input file, got 2"},
		{[]string{"-nosuchflag", "a"}, 2, "flag provided but not defined: -nosuchflag"},
		{[]string{"-entry", "zzz", g}, 2, `-entry "zzz": want a non-zero address`},
		{[]string{filepath.Join(dir, "missing")}, 1, "no such file or directory"},
		{[]string{txt}, 1, "script.sh: linker: not an ELF file"},
		{[]string{"-show", txt}, 1, "script.sh: linker: not an ELF file"},
		{[]string{g}, 1, "entry symbol not found in .symtab: tried " + linker.DefaultEntrySymbol + ".abi0"},
		{[]string{"-entry", "0x100", g}, 1, "entry (physical address 0x100) lies outside every executable PT_LOAD"},
		{[]string{"-entry-symbol", guestSymbol, "-o", filepath.Join(dir, "no", "such", "dir"), g}, 1, "no such file or directory"},
	} {
		code, out, errOut := xenlink(c.args...)
		t.Logf("xenlink %q: exit %d: %s", c.args, code, errOut)
		if code != c.code || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("xenlink %q: exit %d (want %d), stdout %q, stderr %q (want %q)", c.args, code, c.code, out, errOut, c.want)
		}
	}
}

// With the PV symbols, the summary says the ELF boots both ways.
func TestPVSymbols(t *testing.T) {
	p := guest(t)
	code, out, errOut := xenlink("-entry-symbol", guestSymbol, "-pv-entry-symbol", "example.com/pvhguest/kernel.pvEntry",
		"-hypercall-page-symbol", "example.com/pvhguest/kernel.HypercallPage", p)
	if code != 0 || !regexp.MustCompile(`, 8 notes, boots as pvh\+pv \(ENTRY=0x[0-9a-f]+, HYPERCALL_PAGE=0x[0-9a-f]+000\), size`).MatchString(out) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
