package box

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"sort"
	"strings"
)

// GuestInitramfs builds the initramfs of a Linux guest (gzip'd newc cpio,
// as Linux unpacks it): /dev/console (5,1), whose node the kernel needs to
// give /init its standard streams, /proc and /sys to mount on, busybox
// (the file at busybox, if not "") as /bin/busybox with /bin/sh, and
// files, by path without the leading slash, executable (0755). files must
// hold "init", the program Linux runs first: a busybox script, or any
// static binary. TestLinuxPeer's guests are built the same way.
func GuestInitramfs(busybox string, files map[string][]byte) ([]byte, error) {
	if _, ok := files["init"]; !ok {
		return nil, fmt.Errorf("box: a guest initramfs needs an init")
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	c := newCPIO(gz)
	c.Dir("dev")
	c.Dir("proc")
	c.Dir("sys")
	c.CharDev("dev/console", 5, 1)
	if busybox != "" {
		bb, err := os.ReadFile(busybox)
		if err != nil {
			return nil, fmt.Errorf("box: %w", err)
		}
		c.File("bin/busybox", 0o755, bb)
		c.Symlink("bin/sh", "busybox")
	}
	names := make([]string, 0, len(files))
	for n := range files {
		if n == "" || strings.HasPrefix(n, "/") || strings.Contains(n, "..") {
			return nil, fmt.Errorf("box: guest initramfs path %q: want a relative path", n)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c.File(n, 0o755, files[n])
	}
	if err := c.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
