package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestHelpDocumentsEveryFlagAndExitCode(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-help"}, &out, &errb); code != 0 {
		t.Fatalf("-help exit %d", code)
	}
	help := errb.String()
	for _, f := range []string{"-mode", "-memory", "-vcpus", "-cmdline", "-ramdisk", "-extra", "-input",
		"-input-file", "-input-delay", "-timeout", "-boot-timeout", "-out", "-keep", "-verbose", "-quiet",
		"-cpu", "-prepare", "-xen-arg", "-repeat", "-expect"} {
		if !strings.Contains(help, "  "+f+" ") && !strings.Contains(help, "  "+f+"\n") {
			t.Errorf("help lacks %s", f)
		}
	}
	for _, code := range []string{"  0 ", "  1 ", "  2 ", "  3 ", "  4 ", "  5 ", "  6 ", "  64 "} {
		if !strings.Contains(help, code) {
			t.Errorf("help lacks exit status %q", code)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "need exactly one KERNEL.elf"},
		{[]string{"a.elf", "b.elf"}, "need exactly one KERNEL.elf"},
		{[]string{"-mode", "hvm", "k.elf"}, `unknown mode "hvm"`},
		{[]string{"-nosuchflag"}, "flag provided but not defined"},
		{[]string{"-input-file", "/nonexistent/input", "k.elf"}, "no such file"},
		{[]string{"-repeat", "3", "-mode", "dom0", "k.elf"}, "-repeat needs"},
		{[]string{"-repeat", "0", "k.elf"}, "-repeat needs"},
		{[]string{"-expect", "exploded", "k.elf"}, `unknown outcome "exploded"`},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", tc.args, code, exitUsage)
		}
		if !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%q: stderr %q lacks %q", tc.args, errb.String(), tc.want)
		}
	}
}
