package box

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cpioNames lists an archive's entry names and each regular file's data.
func cpioNames(t *testing.T, s string) ([]string, map[string]string) {
	t.Helper()
	var names []string
	data := map[string]string{}
	for off := 0; off < len(s); {
		if s[off:off+6] != "070701" {
			t.Fatalf("bad magic at %d", off)
		}
		hex := func(i int) int {
			var v int
			for _, ch := range s[off+6+8*i : off+6+8*i+8] {
				v = v*16 + strings.IndexRune("0123456789ABCDEF", ch)
			}
			return v
		}
		mode, size, nameSize := hex(1), hex(6), hex(11)
		name := s[off+110 : off+110+nameSize-1]
		names = append(names, name)
		off += (110 + nameSize + 3) &^ 3
		if mode&0o170000 == modeReg {
			data[name] = s[off : off+size]
		}
		off += (size + 3) &^ 3
	}
	return names, data
}

func TestGuestInitramfs(t *testing.T) {
	bb := filepath.Join(t.TempDir(), "busybox")
	if err := os.WriteFile(bb, []byte("BB"), 0o755); err != nil {
		t.Fatal(err)
	}
	gzData, err := GuestInitramfs(bb, map[string][]byte{"init": []byte("#!/bin/sh\n"), "bench/x": []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gzData))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	names, data := cpioNames(t, string(raw))
	if got, want := strings.Join(names, " "), "dev proc sys dev/console bin bin/busybox bin/sh bench bench/x init TRAILER!!!"; got != want {
		t.Errorf("entries\n%s, want\n%s", got, want)
	}
	if data["init"] != "#!/bin/sh\n" || data["bin/busybox"] != "BB" {
		t.Errorf("file data %q", data)
	}

	if _, err := GuestInitramfs("", map[string][]byte{"x": nil}); err == nil {
		t.Error("no init: no error")
	}
	if _, err := GuestInitramfs("", map[string][]byte{"init": nil, "/abs": nil}); err == nil {
		t.Error("absolute path: no error")
	}
	if _, err := GuestInitramfs(filepath.Join(t.TempDir(), "none"), map[string][]byte{"init": nil}); err == nil {
		t.Error("missing busybox: no error")
	}
	// Without busybox: just the nodes and the files.
	gzData, err = GuestInitramfs("", map[string][]byte{"init": []byte("I")})
	if err != nil {
		t.Fatal(err)
	}
	zr, _ = gzip.NewReader(bytes.NewReader(gzData))
	raw, _ = io.ReadAll(zr)
	names, _ = cpioNames(t, string(raw))
	if got := strings.Join(names, " "); got != "dev proc sys dev/console init TRAILER!!!" {
		t.Errorf("entries %s", got)
	}
}
