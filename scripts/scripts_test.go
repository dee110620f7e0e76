// Package scripts holds host tests of the shell scripts beside it; they
// run them with a stand-in for xl.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goxenRun runs goxen-run with a fake xl on PATH whose "create" copies the
// config it is given to cfg.out and fails, so the script stops at once
// with exit 4, leaving the xl.cfg it wrote to be read.
func goxenRun(t *testing.T, args ...string) (code int, out, cfg string) {
	t.Helper()
	dir := t.TempDir()
	xl := "#!/bin/sh\n[ \"$1\" = create ] && cp \"$3\" " + filepath.Join(dir, "cfg.out") + "\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "xl"), []byte(xl), 0o755); err != nil {
		t.Fatal(err)
	}
	k := filepath.Join(dir, "k.elf")
	os.WriteFile(k, []byte("ELF"), 0o644)
	cmd := exec.Command("sh", append(append([]string{"goxen-run"}, args...), k)...)
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
	b, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	c, _ := os.ReadFile(filepath.Join(dir, "cfg.out"))
	return code, string(b), string(c)
}

func TestGoxenRunType(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "type = \"pvh\"\n"},
		{[]string{"--type", "pv"}, "type = \"pv\"\n"},
		{[]string{"-Tpv"}, "type = \"pv\"\n"},
		{[]string{"--type=pvh"}, "type = \"pvh\"\n"},
	} {
		code, out, cfg := goxenRun(t, append(c.args, "-q")...)
		if code != 4 || !strings.Contains(cfg, c.want) || strings.Count(cfg, "type =") != 1 {
			t.Errorf("goxen-run %q: exit %d, xl.cfg\n%s\noutput %s", c.args, code, cfg, out)
		}
	}
	code, out, _ := goxenRun(t, "--type", "hvm")
	if code != 64 || !strings.Contains(out, "--type hvm: want pvh or pv") {
		t.Errorf("--type hvm: exit %d, %s", code, out)
	}
}
