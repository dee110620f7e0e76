package box

import (
	"fmt"
	"io"
)

// cpioWriter writes the "newc" (SVR4, magic 070701) archive format that
// the Linux initramfs unpacker reads. Writing it ourselves means the
// image build needs no cpio tool and can hold device nodes without root.
type cpioWriter struct {
	w    io.Writer
	ino  uint32
	err  error
	seen map[string]bool
}

func newCPIO(w io.Writer) *cpioWriter {
	return &cpioWriter{w: w, ino: 1000, seen: map[string]bool{}}
}

// File mode type bits (S_IFMT values from POSIX stat.h).
const (
	modeDir  = 0o040000
	modeReg  = 0o100000
	modeLink = 0o120000
	modeChr  = 0o020000
)

func (c *cpioWriter) header(name string, mode uint32, size int, major, minor uint32) {
	if c.err != nil {
		return
	}
	c.ino++
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, mode, 0, 0, 1, 0, size, 0, 0, major, minor, len(name)+1, 0)
	c.write([]byte(hdr))
	c.write([]byte(name + "\x00"))
	c.pad(len(hdr) + len(name) + 1)
}

func (c *cpioWriter) write(b []byte) {
	if c.err != nil {
		return
	}
	_, c.err = c.w.Write(b)
}

// pad aligns to the 4-byte boundary that newc requires after the header
// (plus name) and after the file data.
func (c *cpioWriter) pad(n int) {
	if r := n % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}

// Dir adds a directory and, first, any parents not yet added.
func (c *cpioWriter) Dir(name string) {
	if name == "" || name == "." || c.seen[name] {
		return
	}
	c.parents(name)
	c.seen[name] = true
	c.header(name, modeDir|0o755, 0, 0, 0)
}

func (c *cpioWriter) parents(name string) {
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '/' {
			c.Dir(name[:i])
			return
		}
	}
}

// File adds a regular file with the given permission bits.
func (c *cpioWriter) File(name string, perm uint32, data []byte) {
	c.parents(name)
	c.seen[name] = true
	c.header(name, modeReg|perm, len(data), 0, 0)
	c.write(data)
	c.pad(len(data))
}

// Symlink adds a symbolic link name -> target.
func (c *cpioWriter) Symlink(name, target string) {
	c.parents(name)
	c.seen[name] = true
	c.header(name, modeLink|0o777, len(target), 0, 0)
	c.write([]byte(target))
	c.pad(len(target))
}

// CharDev adds a character device node (e.g. /dev/console is 5,1).
func (c *cpioWriter) CharDev(name string, major, minor uint32) {
	c.parents(name)
	c.seen[name] = true
	c.header(name, modeChr|0o600, 0, major, minor)
}

// Close writes the trailer record and reports the first write error.
func (c *cpioWriter) Close() error {
	c.header("TRAILER!!!", 0, 0, 0, 0)
	return c.err
}
