package boxcli

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/goxen/goxen/box"
)

func parse(t *testing.T, args ...string) *Flags {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := Register(fs, "tool")
	if err := fs.Parse(args); err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return f
}

// Every flag lands in its Config field.
func TestConfigFromFlags(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	script := filepath.Join(dir, "s.sh")
	os.WriteFile(in, []byte("three\nfour\n"), 0o644)
	os.WriteFile(script, []byte("xl shutdown guest\n"), 0o644)
	var stdout, stderr bytes.Buffer
	f := parse(t, "-mode", "DOMU", "-type", "pv", "-memory", "64", "-vcpus", "2", "-cmdline", "A=1 -- x", "-ramdisk", "rd.img",
		"-extra", `on_crash="destroy"`, "-extra", "cpus=1", "-input", "one", "-input", "two", "-input-file", in,
		"-input-delay", "2s", "-timeout", "90s", "-boot-timeout", "3m", "-out", "logs", "-cpu", "qemu64,+svm,+npt,+rdrand",
		"-xen-arg", "sched=credit", "-repeat", "5", "-expect", "crashed", "-dom0-script", script)
	cfg, err := f.Config("k.elf", &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	want := box.Config{
		Kernel: "k.elf", Mode: box.DomU, Type: box.PV, Memory: 64, VCPUs: 2, Cmdline: "A=1 -- x", Ramdisk: "rd.img",
		Extra: []string{`on_crash="destroy"`, "cpus=1"}, Input: []string{"one", "two", "three", "four"},
		InputDelay: 2 * time.Second, Dom0Script: "xl shutdown guest\n", Timeout: 90 * time.Second,
		BootTimeout: 3 * time.Minute, OutDir: "logs", QEMUCPU: "qemu64,+svm,+npt,+rdrand", XenArgs: []string{"sched=credit"},
		Repeat: 5, Expect: box.Crashed, Stdout: &stdout, Progress: &stderr,
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Config\n%+v\nwant\n%+v", cfg, want)
	}
}

func TestConfigDefaultsAndViews(t *testing.T) {
	var stdout, stderr bytes.Buffer
	cfg, err := parse(t).Config("k.elf", &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != box.DomU || cfg.Memory != 0 || cfg.VCPUs != 1 || cfg.Timeout != box.DefaultTimeout ||
		cfg.BootTimeout != box.DefaultBootTimeout || cfg.InputDelay != box.DefaultInputDelay ||
		cfg.QEMUCPU != box.DefaultQEMUCPU || cfg.Repeat != 1 || cfg.Expect != box.PoweredOff ||
		cfg.Stdout != &stdout || cfg.Serial != nil || cfg.Progress != &stderr {
		t.Errorf("defaults: %+v", cfg)
	}
	cfg, _ = parse(t, "-verbose").Config("k.elf", &stdout, &stderr)
	if cfg.Serial != &stdout || cfg.Stdout != nil {
		t.Errorf("-verbose: Serial %v, Stdout %v", cfg.Serial, cfg.Stdout)
	}
	cfg, _ = parse(t, "-quiet", "-verbose").Config("k.elf", &stdout, &stderr)
	if cfg.Serial != nil || cfg.Stdout != nil || cfg.Progress != io.Discard {
		t.Errorf("-quiet: %+v", cfg)
	}
	if !parse(t, "-prepare").Prepare() || parse(t).Prepare() {
		t.Error("-prepare")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-mode", "hvm"}, `unknown mode "hvm"`},
		{[]string{"-type", "hvm"}, `unknown guest type "hvm"`},
		{[]string{"-expect", "exploded"}, `unknown outcome "exploded"`},
		{[]string{"-repeat", "0"}, "tool: -repeat needs N >= 1"},
		{[]string{"-repeat", "2", "-mode", "dom0"}, "domU mode for N > 1"},
		{[]string{"-input-file", "/nonexistent"}, "tool: -input-file: open /nonexistent"},
		{[]string{"-dom0-script", "/nonexistent"}, "tool: -dom0-script: open /nonexistent"},
	} {
		_, err := parse(t, c.args...).Config("k.elf", io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.args, err, c.want)
		}
	}
}
