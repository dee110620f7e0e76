package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// parseXL reads an xl.cfg as xl's parser would for the forms goxen
// writes: comments, blank lines, and key = value with a number or a
// double-quoted string (backslash escapes). It fails on anything else
// and on a key given twice.
func parseXL(t *testing.T, cfg string) map[string]string {
	t.Helper()
	kv := map[string]string{}
	for i, line := range strings.Split(strings.TrimSuffix(cfg, "\n"), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, " = ")
		if !ok || strings.TrimSpace(k) != k || k == "" {
			t.Fatalf("line %d %q is not key = value", i+1, line)
		}
		if _, dup := kv[k]; dup {
			t.Fatalf("line %d: key %s given twice", i+1, k)
		}
		if _, err := strconv.Atoi(v); err == nil {
			kv[k] = v
			continue
		}
		s, err := strconv.Unquote(v)
		if err != nil || !strings.HasPrefix(v, `"`) {
			t.Fatalf("line %d: value %s is neither a number nor a quoted string", i+1, v)
		}
		kv[k] = s
	}
	return kv
}

func defaultXL() xlOptions {
	return xlOptions{KernelPath: "/srv/kernels/hello.elf", VCPUs: 1, OnPoweroff: "destroy", OnReboot: "restart", OnCrash: "destroy"}
}

var helloInfo = kernelInfo{Entry: 0x1bbc40, End: 0x373000}

func TestXLConfigDefaults(t *testing.T) {
	cfg, err := xlConfig(defaultXL(), helloInfo)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", cfg)
	got := parseXL(t, cfg)
	want := map[string]string{"name": "hello", "type": "pvh", "kernel": "/srv/kernels/hello.elf", "memory": "32", "vcpus": "1",
		"on_poweroff": "destroy", "on_reboot": "restart", "on_crash": "destroy"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("keys\n%v\nwant\n%v", got, want)
	}
	for _, c := range []string{"xl create -c hello.cfg", "xl create -n hello.cfg", "xl shutdown hello", "(0x1bbc40)",
		"The image ends at 3.4 MiB", "#cmdline = \"\"", "before a \"--\""} {
		if !strings.Contains(cfg, c) {
			t.Errorf("config lacks %q", c)
		}
	}
}

func TestXLConfigOptions(t *testing.T) {
	o := defaultXL()
	o.Name, o.Memory, o.VCPUs, o.OnCrash, o.File = "web-1", 64, 2, "preserve", "/etc/xen/web.cfg"
	o.Cmdline = `GODEBUG=gctrace=1 -- a "b c" d\e`
	o.Extra = []string{`memory=128`, ` cpus = "2-3" `}
	cfg, err := xlConfig(o, helloInfo)
	if err != nil {
		t.Fatal(err)
	}
	got := parseXL(t, cfg)
	for k, v := range map[string]string{"name": "web-1", "memory": "128", "vcpus": "2", "on_crash": "preserve",
		"cmdline": o.Cmdline, "cpus": "2-3"} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q\n%s", k, got[k], v, cfg)
		}
	}
	if strings.Contains(cfg, "#cmdline") || !strings.Contains(cfg, "xl create -c /etc/xen/web.cfg") {
		t.Errorf("config:\n%s", cfg)
	}
}

func TestXLDefaultMemory(t *testing.T) {
	for end, want := range map[uint64]int{0x4d0000: 32, 16 << 20: 32, 16<<20 + 1: 33, 40 << 20: 56, 40<<20 + 5: 57} {
		if got := defaultMemory(end); got != want {
			t.Errorf("defaultMemory(%#x) = %d, want %d", end, got, want)
		}
	}
	// A TamaGo-sized image (32 MiB of .bss) gets room above it.
	cfg, err := xlConfig(defaultXL(), kernelInfo{Entry: 0x101000, End: 40 << 20})
	if err != nil || parseXL(t, cfg)["memory"] != "56" {
		t.Errorf("big image: %v\n%s", err, cfg)
	}
}

func TestXLConfigErrors(t *testing.T) {
	for _, c := range []struct {
		edit func(*xlOptions)
		want string
	}{
		{func(o *xlOptions) { o.KernelPath = "hello.elf" }, "is not absolute"},
		{func(o *xlOptions) { o.Memory = 3 }, "-memory 3: the image alone ends at 3.4 MiB (Xen loads it at its physical addresses); give at least 4"},
		{func(o *xlOptions) { o.Memory = -1 }, "want a positive size"},
		{func(o *xlOptions) { o.VCPUs = 0 }, "-vcpus 0"},
		{func(o *xlOptions) { o.Name = "a b" }, `-name "a b": use letters, digits`},
		{func(o *xlOptions) { o.Name = "42" }, "all digits"},
		{func(o *xlOptions) { o.Name = strings.Repeat("x", 65) }, "1 to 64 characters"},
		{func(o *xlOptions) { o.OnCrash = "explode" }, `-on-crash "explode": want one of destroy, restart`},
		{func(o *xlOptions) { o.OnPoweroff = "" }, `-on-poweroff ""`},
		{func(o *xlOptions) { o.Cmdline = "a\nb" }, "-cmdline: \"a\\nb\" contains a newline"},
		{func(o *xlOptions) { o.Extra = []string{"novalue"} }, `-extra "novalue": want one line key = value`},
		{func(o *xlOptions) { o.Extra = []string{" = 3"} }, "want one line key = value"},
	} {
		o := defaultXL()
		c.edit(&o)
		if cfg, err := xlConfig(o, helloInfo); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q\n%s", o, err, c.want, cfg)
		}
	}
	// 4 MiB holds a 3.4 MiB image: hello runs in memory = 4.
	o := defaultXL()
	o.Memory = 4
	if _, err := xlConfig(o, helloInfo); err != nil {
		t.Error(err)
	}
}

func TestDomainName(t *testing.T) {
	for in, want := range map[string]string{
		"build/hello.elf": "hello", "/x/my kernel.elf": "my-kernel", "42.elf": "goxen-42", "k": "k", "a.b.elf": "a.b",
	} {
		if got := domainName(in); got != want || checkName(got) != nil {
			t.Errorf("domainName(%q) = %q (%v), want %q", in, got, checkName(got), want)
		}
	}
}

// goxen xl on a kernel built by goxen build, on an ELF without Xen's
// notes and on a file that is not an ELF.
func TestXLCommand(t *testing.T) {
	dir := userModule(t)
	t.Chdir(dir)
	if code, _, errOut := run("build", "-o", "k.elf"); code != 0 {
		t.Fatalf("goxen build: %s", errOut)
	}
	code, out, errOut := run("xl", "-cmdline", "GREETING=hi -- x", "k.elf")
	if code != 0 || errOut != "" {
		t.Fatalf("goxen xl: exit %d, %s", code, errOut)
	}
	got := parseXL(t, out)
	if got["kernel"] != filepath.Join(dir, "k.elf") || got["name"] != "k" || got["memory"] != "32" || got["cmdline"] != "GREETING=hi -- x" {
		t.Errorf("config:\n%s", out)
	}
	code, out, errOut = run("xl", "-o", "k.cfg", "-name", "mine", "-kernel-path", "/srv/k.elf", "k.elf")
	b, _ := os.ReadFile("k.cfg")
	if code != 0 || out != "" || !strings.Contains(errOut, "wrote k.cfg") {
		t.Fatalf("goxen xl -o: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if got := parseXL(t, string(b)); got["kernel"] != "/srv/k.elf" || got["name"] != "mine" {
		t.Errorf("k.cfg:\n%s", b)
	}

	// -type pv: the same ELF, type = "pv", the comment naming its ENTRY.
	code, out, errOut = run("xl", "-type", "pv", "k.elf")
	if got := parseXL(t, out); code != 0 || got["type"] != "pv" || !strings.Contains(out, "XEN_ELFNOTE_ENTRY note (0x") {
		t.Errorf("goxen xl -type pv: exit %d, %s\n%s", code, errOut, out)
	}

	exe, _ := os.Executable() // an ELF without Xen notes
	os.WriteFile("script.sh", []byte("#!/bin/sh\n"), 0o644)
	for _, c := range []struct{ file, want string }{
		{exe, "no XEN_ELFNOTE_PHYS32_ENTRY note, so Xen cannot start it as a PVH guest: build it with goxen build"},
		{"script.sh", "script.sh: linker: not an ELF file"},
		{"missing.elf", "no such file or directory"},
	} {
		code, out, errOut := run("xl", c.file)
		if code != exitFailed || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("goxen xl %s: exit %d, stdout %q, stderr %q (want %q)", c.file, code, out, errOut, c.want)
		}
	}
}

func TestXLConfigType(t *testing.T) {
	o := defaultXL()
	o.Type = "pv"
	ki := helloInfo
	ki.PVEntry = 0x1bbc80
	cfg, err := xlConfig(o, ki)
	if err != nil {
		t.Fatal(err)
	}
	if got := parseXL(t, cfg); got["type"] != "pv" || !strings.Contains(cfg, "XEN_ELFNOTE_ENTRY note (0x1bbc80)") || !strings.Contains(cfg, "start_info in %rsi") {
		t.Errorf("PV config:\n%s", cfg)
	}
	// A PVH-only ELF, and a type xl would not take.
	if _, err := xlConfig(o, helloInfo); err == nil || !strings.Contains(err.Error(), "-type pv: the ELF has no PV notes") {
		t.Errorf("PVH-only ELF as PV: %v", err)
	}
	o.Type = "hvm"
	if _, err := xlConfig(o, ki); err == nil || !strings.Contains(err.Error(), `-type "hvm": want pvh or pv`) {
		t.Errorf("-type hvm: %v", err)
	}
	o.Type = ""
	if cfg, err := xlConfig(o, ki); err != nil || parseXL(t, cfg)["type"] != "pvh" {
		t.Errorf("default type: %v\n%s", err, cfg)
	}
}
